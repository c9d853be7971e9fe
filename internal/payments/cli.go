package payments

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rathaus/rathaus/internal/payments/camt"
	"github.com/rathaus/rathaus/internal/payments/epc"
	"github.com/rathaus/rathaus/internal/platform/cli"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// PureCommand runs the subcommands that need no database:
//
//	payments epc-qr --name N --iban I --amount A (--reference RF… | --remittance TEXT) [--bic B] [--info TEXT] --out FILE.png
//	payments camt [--json] FILE
//
// It reports handled=false for other subcommands.
func PureCommand(ctx context.Context, args []string, stdout, stderr io.Writer) (handled bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "epc-qr":
		return true, epcQRCommand(args[1:], stdout, stderr)
	case "camt":
		return true, camtCommand(args[1:], stdout, stderr)
	}
	return false, nil
}

func epcQRCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rathaus payments epc-qr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p epc.Payment
	var amount, out string
	var asJSON bool
	fs.StringVar(&p.Name, "name", "", "beneficiary name (at most 70 characters)")
	fs.StringVar(&p.IBAN, "iban", "", "beneficiary IBAN")
	fs.StringVar(&p.BIC, "bic", "", "beneficiary BIC (optional)")
	fs.StringVar(&amount, "amount", "", "amount in euros, 0.01 to 999999999.99 (12.30 or 12,30)")
	fs.StringVar(&p.Reference, "reference", "", "structured creditor reference (ISO 11649 RF…)")
	fs.StringVar(&p.Remittance, "remittance", "", "unstructured remittance text (at most 140 characters)")
	fs.StringVar(&p.Information, "info", "", "note to the payer (at most 70 characters)")
	fs.StringVar(&out, "out", "", "PNG file to write")
	fs.BoolVar(&asJSON, "json", false, "print the payload as JSON")
	for _, n := range []string{"data", "tenant", "addr"} {
		fs.String(n, "", "ignored (no database needed)")
	}
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("epc-qr takes no arguments, got %q", fs.Args())
	}
	if out == "" {
		return cli.Usagef("epc-qr: --out FILE.png is required")
	}
	if amount == "" {
		return cli.Usagef("epc-qr: --amount is required")
	}
	a, err := epc.ParseAmount(amount)
	if err != nil {
		return cli.Usagef("epc-qr: --amount: %v", err)
	}
	p.Amount = a
	p.IBAN = epc.NormalizeIBAN(p.IBAN)
	p.BIC = strings.ToUpper(strings.TrimSpace(p.BIC))
	payload, charset, err := p.Payload()
	if err != nil {
		return cli.Usagef("epc-qr: %s", describe(err))
	}
	code, err := epc.QR(payload)
	if err != nil {
		return cli.Usagef("epc-qr: %v", err)
	}
	png, err := code.PNG(8)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return cli.Usagef("epc-qr: write %s: %v", out, err)
	}
	text, _, _ := p.Text()
	cs := map[int]string{epc.UTF8: "UTF-8", epc.Latin1: "ISO-8859-1"}[charset]
	if asJSON {
		return writeJSON(stdout, map[string]any{"payload": text, "charset": cs, "bytes": len(payload), "version": code.Version, "level": "M", "out": out})
	}
	// The payload's characters, in the terminal's encoding (UTF-8); the
	// QR code holds them in the set line 3 names.
	fmt.Fprintln(stdout, text)
	fmt.Fprintf(stderr, "wrote %s: QR version %d, level M, %d bytes in %s\n", out, code.Version, len(payload), cs)
	return nil
}

// describe lists the invalid fields of a validation in English.
func describe(err error) string {
	v, ok := fault.AsValidation(err)
	if !ok {
		return err.Error()
	}
	var parts []string
	for _, e := range v.Errors {
		msg := map[string]string{"invalid_iban": "not a valid IBAN (length and check digits)", "invalid_rf": "not a valid RF creditor reference (ISO 11649 check digits)",
			"invalid_amount": "must be 0.01 to 999999999.99 with at most two decimals", "invalid_bic": "not a BIC (8 or 11 characters)",
			"required": "is required", "too_long": fmt.Sprintf("is too long (at most %v characters)", e.Args["max"]),
			"reference_or_remittance": "give either --reference or --remittance", "no_line_breaks": "must not contain line breaks",
			"payload_too_long": "the payload exceeds 331 bytes", "invalid_purpose": "must be a four-letter purpose code"}[e.Code]
		if msg == "" {
			msg = e.Code
		}
		parts = append(parts, "--"+e.Field+" "+msg)
	}
	return strings.Join(parts, "; ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// camtCommand prints a parsed statement; exit 1 for an invalid one.
func camtCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rathaus payments camt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the statement as JSON")
	for _, n := range []string{"data", "tenant", "addr"} {
		fs.String(n, "", "ignored (no database needed)")
	}
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("%v", err)
	}
	if fs.NArg() != 1 {
		return cli.Usagef("usage: rathaus payments camt [--json] FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return cli.Usagef("payments camt: %v", err)
	}
	defer f.Close()
	doc, err := camt.Parse(f)
	if err != nil {
		var ce *camt.Error
		if errors.As(err, &ce) {
			if *asJSON {
				problems := ce.Problems
				if problems == nil {
					problems = []camt.Problem{}
				}
				writeJSON(stdout, map[string]any{"valid": false, "error": ce.Msg, "problems": problems})
			} else {
				fmt.Fprintf(stdout, "%s: refused: %s\n", fs.Arg(0), ce.Msg)
				for _, p := range ce.Problems {
					fmt.Fprintf(stdout, "  %s: %s\n", p.Path, p.Reason)
				}
			}
			fmt.Fprintf(stderr, "payments camt: %s: %v\n", fs.Arg(0), err)
			return cli.ErrNegative
		}
		return err
	}
	if *asJSON {
		return writeJSON(stdout, doc)
	}
	fmt.Fprintf(stdout, "%s %s (%s): %d statement(s)\n", doc.Type, doc.MessageID, doc.CreatedAt, len(doc.Statements))
	for _, st := range doc.Statements {
		fmt.Fprintf(stdout, "statement %s, account %s: %d entries\n", st.ID, st.Account.Identification(), len(st.Entries))
		for _, e := range st.Entries {
			ref := ""
			if len(e.Details) > 0 {
				if rs := e.Details[0].Remittance.CreditorReferences(); len(rs) > 0 {
					ref = rs[0]
				} else if len(e.Details[0].Remittance.Unstructured) > 0 {
					ref = e.Details[0].Remittance.Unstructured[0]
				}
			}
			fmt.Fprintf(stdout, "  %s %s %s %s %s %s\n", e.BookingDate, e.CreditDebit, e.Amount, e.Currency, e.Status, ref)
		}
	}
	return nil
}
