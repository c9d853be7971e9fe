package inbox

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// PaperPage is the form for a scanned paper invoice.
type PaperPage struct {
	Form      web.Form
	Units     []UnitOption
	Duplicate string
	Allowed   bool // finance: others see who may capture paper invoices
}

// PaperFields are the form's fields in page order (the error summary
// follows it).
var PaperFields = []string{"scan", "supplier", "supplier_vat_id", "number", "issue_date", "due_date", "amount", "currency", "iban", "bic", "unit", "credits_number"}

func (h *Handler) paperPage(r *http.Request, t *identity.Tenant, f web.Form) (PaperPage, error) {
	names, err := h.Svc.Identity.UnitNames(r.Context(), t.ID)
	if err != nil {
		return PaperPage{}, err
	}
	v := PaperPage{Form: f}
	for ref, n := range names {
		v.Units = append(v.Units, UnitOption{Ref: ref, Name: n})
	}
	sortUnits(v.Units)
	return v, nil
}

func (h *Handler) handlePaperForm(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID); err != nil {
		return err
	}
	v, err := h.paperPage(r, t, web.Form{Values: url.Values{"currency": {"EUR"}}})
	if err != nil {
		return err
	}
	v.Allowed = p.Has(identity.RoleFinance)
	return h.render(w, r, http.StatusOK, "paper", web.AreaStaff, v)
}

func (h *Handler) handlePaper(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.principal(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID, identity.RoleFinance); err != nil {
		return err
	}
	name, _, scan, values, err := ReadUpload(http.MaxBytesReader(w, r.Body, maxUpload+1<<20), r.Header.Get("Content-Type"), "scan", 20<<20)
	f := web.Form{Values: values}
	if err == nil {
		in := PaperInput{Scan: scan, ScanName: name, Supplier: values.Get("supplier"), SupplierVATID: values.Get("supplier_vat_id"), Number: values.Get("number"),
			IssueDate: values.Get("issue_date"), DueDate: values.Get("due_date"), Amount: values.Get("amount"), Currency: values.Get("currency"),
			IBAN: values.Get("iban"), BIC: values.Get("bic"), Unit: values.Get("unit"), CreditNote: values.Get("credit_note") == "1", CreditsNumber: values.Get("credits_number")}
		var inv *Invoice
		if inv, err = h.Svc.SubmitPaper(r.Context(), p, t.ID, in); err == nil {
			http.Redirect(w, r, "/verwaltung/rechnungen/"+inv.Ref, http.StatusSeeOther)
			return nil
		}
	}
	if f.Values == nil {
		f.Values = url.Values{}
	}
	v, perr := h.paperPage(r, t, f)
	if perr != nil {
		return perr
	}
	v.Allowed = true
	var dup *Duplicate
	switch fv, ok := fault.AsValidation(err); {
	case errors.As(err, &dup):
		v.Duplicate = dup.Existing
		v.Form.Fail("number", "paper-number", "einvoice.upload.duplicate")
	case ok:
		ordered := &fault.Validation{}
		for _, field := range PaperFields {
			for _, e := range fv.Errors {
				if e.Field == field {
					ordered.Errors = append(ordered.Errors, e)
				}
			}
		}
		if len(ordered.Errors) == 0 {
			ordered = fv
		}
		v.Form.AddFault(ordered, "paper-")
	default:
		return err
	}
	return h.render(w, r, web.StatusOf(err), "paper", web.AreaStaff, v)
}

// Field is one input of the paper form.
type Field struct {
	Name, ID, Label, Type, Value, Error string
	Args                                map[string]any
	Optional                            bool
}

// Field describes an input with its value and error.
func (p PaperPage) Field(name, label, typ, opt string) Field {
	f := Field{Name: name, ID: "paper-" + name, Label: label, Type: typ, Value: p.Form.Value(name), Optional: opt == "optional"}
	for _, e := range p.Form.Errors {
		if e.Field == name {
			f.Error, f.Args = e.Message, e.Args
			break
		}
	}
	return f
}
