package forms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// SubmitRequest is the body of POST /api/v1/applications (JSON, or the
// "application" part of a multipart request whose other parts are the
// files, each named by its field's path).
type SubmitRequest struct {
	Service     string          `json:"service"`
	FormVersion int             `json:"form_version,omitempty"`
	Answers     json.RawMessage `json:"answers"`
}

// SubmitResponse answers a submission.
type SubmitResponse struct {
	Reference string `json:"reference"`
	Status    Status `json:"status"`
}

// apiRoutes registers the JSON API of forms.
func (h *Handler) apiRoutes(rt *web.Router) {
	exAnswers := json.RawMessage(`{"halter":{"given_name":"Paul","family_name":"Beispiel"}}`)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/applications", ID: "submitApplication", Tag: "applications", Auth: []string{"citizen", "business"}, Status: 201, MaxBody: MaxSubmissionBytes,
		Summary: "Submit an application for a service's current published form (JSON; multipart/form-data with a part \"application\" holding this JSON and one part per file, named by the file field's path); 422 lists every invalid field",
		Request: SubmitRequest{Service: "L-7K3M-Q9TX", Answers: exAnswers}, Response: SubmitResponse{Reference: "A-7K3M-Q9TX", Status: StatusSubmitted}}, h.handleSubmit)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/applications", ID: "listApplications", Tag: "applications", Auth: []string{"citizen", "business"},
		Summary:  "The signed-in person's own applications, newest first",
		Response: []Summary{{Ref: "A-7K3M-Q9TX", ServiceID: "L-7K3M-Q9TX", FormTitle: "Hundesteuer-Anmeldung", FormVersion: 1, Status: StatusSubmitted, SubmittedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}}, h.handleList)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/applications/{id}", ID: "getApplication", Tag: "applications", Auth: []string{"citizen", "business"},
		Summary:  "One of the person's own applications with answers, files and receipt hashes",
		Response: Application{Ref: "A-7K3M-Q9TX", ServiceID: "L-7K3M-Q9TX", FormRef: "F-7K3M-Q9TX", FormVersion: 1, Answers: Answers{}, Files: []File{}, Status: StatusSubmitted}}, h.handleGet)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/applications/{id}/receipt", ID: "getApplicationReceipt", Tag: "applications", Auth: []string{"citizen", "business"},
		Summary: "The receipt of one's own application as PDF (application/pdf)"}, h.handleReceiptAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/applications/{id}/withdraw", ID: "withdrawApplication", Tag: "applications", Auth: []string{"citizen", "business"},
		Summary: "Withdraw one's own application (until it is decided; 409 afterwards)", Response: SubmitResponse{Reference: "A-7K3M-Q9TX", Status: StatusWithdrawn}}, h.handleWithdrawAPI)
}

func (h *Handler) handleSubmit(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := p.Require(t.ID); err != nil {
		return err
	}
	if !p.IsPerson() {
		return fmt.Errorf("submit with a token of no person: %w", fault.ErrForbidden)
	}
	sub, err := readSubmission(r)
	if err != nil {
		return err
	}
	sub.Lang = string(i18n.FromRequest(r))
	sub.Strict = true
	app, err := h.Forms.Submit(r.Context(), p, t.ID, sub)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/applications/"+app.Ref)
	web.WriteJSON(w, http.StatusCreated, SubmitResponse{Reference: app.Ref, Status: app.Status})
	return nil
}

// readSubmission decodes a JSON or multipart submission.
func readSubmission(r *http.Request) (Submission, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Header.Get("Content-Type") == "" {
		ct, err = "application/json", nil
	}
	if err != nil {
		return Submission{}, fmt.Errorf("%w: unreadable Content-Type", fault.ErrBadRequest)
	}
	switch ct {
	case "application/json":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return Submission{}, err
		}
		return decodeSubmission(b)
	case "multipart/form-data":
		return readMultipart(r, params["boundary"])
	}
	return Submission{}, fmt.Errorf("%w: Content-Type must be application/json or multipart/form-data", fault.ErrBadRequest)
}

func decodeSubmission(b []byte) (Submission, error) {
	// What encoding/json lets pass (duplicate keys, invalid UTF-8,
	// control characters) is refused first, as on every JSON API route.
	if err := web.CheckJSON(b); err != nil {
		return Submission{}, err
	}
	var req SubmitRequest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Submission{}, fmt.Errorf("%w: body is not a submission document: %s", fault.ErrBadRequest, jsonProblem(err))
	}
	if dec.More() {
		return Submission{}, fmt.Errorf("%w: trailing data after the JSON document", fault.ErrBadRequest)
	}
	v := &fault.Validation{}
	if strings.TrimSpace(req.Service) == "" {
		v.Add("service", "required")
	}
	answers := map[string]any{}
	if len(req.Answers) > 0 && string(req.Answers) != "null" {
		ad := json.NewDecoder(strings.NewReader(string(req.Answers)))
		ad.UseNumber()
		if err := ad.Decode(&answers); err != nil {
			v.Add("answers", "invalid")
		}
	}
	if err := v.Err(); err != nil {
		return Submission{}, err
	}
	return Submission{ServiceID: req.Service, FormVersion: req.FormVersion, Answers: answers}, nil
}

// MaxSubmissionBytes is the largest submission body (answers and files;
// RATHAUS_MAX_BODY_BYTES is the installation's ceiling).
const MaxSubmissionBytes = 32 << 20

// maxParts bounds a multipart submission's number of parts.
const maxParts = 100

func readMultipart(r *http.Request, boundary string) (Submission, error) {
	if boundary == "" {
		return Submission{}, fmt.Errorf("%w: multipart without boundary", fault.ErrBadRequest)
	}
	mr := multipart.NewReader(r.Body, boundary)
	var sub Submission
	var doc []byte
	var ups []Upload
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return sub, err
			}
			return sub, fmt.Errorf("%w: malformed multipart body", fault.ErrBadRequest)
		}
		if n >= maxParts {
			return sub, fmt.Errorf("%w: more than %d parts", fault.ErrBadRequest, maxParts)
		}
		name := part.FormName()
		data, err := io.ReadAll(io.LimitReader(part, MaxFileSize+1))
		part.Close()
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return sub, err
			}
			return sub, fmt.Errorf("%w: malformed multipart body", fault.ErrBadRequest)
		}
		if name == "application" { // the JSON document (a field may not be called so)
			doc = data
			continue
		}
		if len(data) > MaxFileSize {
			return sub, fault.Invalid(name, "file_too_large", "max", HumanSize(MaxFileSize))
		}
		ups = append(ups, Upload{Field: name, Name: part.FileName(), Data: data})
	}
	if doc == nil {
		return sub, fault.Invalid("application", "required")
	}
	sub, err := decodeSubmission(doc)
	if err != nil {
		return sub, err
	}
	sub.Uploads = ups
	return sub, nil
}

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	list, err := h.Forms.Applications(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	a, err := h.Forms.Own(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) handleReceiptAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	return h.serveReceipt(w, r, p, t)
}

func (h *Handler) serveReceipt(w http.ResponseWriter, r *http.Request, p identity.Principal, t *identity.Tenant) error {
	ref := r.PathValue("id")
	f, err := h.Forms.Receipt(r.Context(), p, t.ID, ref, true)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "application/pdf")
	hdr.Set("Content-Disposition", `inline; filename="eingangsbestaetigung-`+ref+`.pdf"`)
	hdr.Set("Cache-Control", "private, no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	_, err = io.Copy(w, f)
	return err
}

func (h *Handler) handleWithdrawAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("id")
	if err := h.Forms.Withdraw(r.Context(), p, t.ID, ref); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, SubmitResponse{Reference: ref, Status: StatusWithdrawn})
	return nil
}
