package records

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/calendar"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// The hand-over to the archive (Aussonderung) as xdomea 3.0.0: a zip with
// the message Aussonderung.Aussonderung.0503 at its top, describing this
// e-file as an Akte with one Vorgang (the case) and its documents, and the
// documents themselves (primary files) next to it. xdomea 3.0.0 has no
// element for a checksum, so each document's SHA-256, size and media type
// travel in its AnwendungsspezifischeErweiterung "rathaus-integrity".

// Handover names sender and receiver of the message.
type Handover struct {
	Authority string // the municipality, e.g. "Stadt Musterstadt"
	Archive   string // the receiving archive
	Version   string // the sending system's version
	CreatedAt time.Time
}

// uuidOf derives a stable UUID (version 5 style) from a name, so that the
// same e-file always yields the same identifiers.
func uuidOf(name string) string {
	h := sha256.Sum256([]byte("rathaus:xdomea:" + name))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// formatCode maps a media type to the xdomea Dateiformat code list.
func formatCode(mediaType string) (code, other string) {
	switch mediaType {
	case "application/pdf":
		return "018", ""
	case "image/png":
		return "019", ""
	case "image/jpeg":
		return "011", ""
	case "application/xml", "text/xml":
		return "030", ""
	case "text/plain":
		return "045", ""
	}
	return "100", mediaType
}

// safeFileName keeps letters, digits, dot, dash and underscore.
func safeFileName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	var b strings.Builder
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('_')
		}
	}
	s := strings.Trim(b.String(), ".")
	if s == "" {
		s = "dokument"
	}
	if len(s) > 100 {
		s = s[len(s)-100:]
	}
	return s
}

// PrimaryName is the file name of a document in the hand-over zip.
func PrimaryName(f *File, d Document) string {
	return uuidOf(f.Ref+":"+strconv.Itoa(d.Seq)) + "_" + safeFileName(d.Name)
}

// MessageName is the name of the 0503 message in the zip.
func MessageName(f *File) string {
	return uuidOf(f.Ref+":process") + "_Aussonderung.Aussonderung.0503.xml"
}

type xw struct{ b bytes.Buffer }

func (w *xw) open(name string, attrs ...string) {
	w.b.WriteString("<xdomea:" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteString(`"`)
	}
	w.b.WriteString(">")
}
func (w *xw) close(name string) { w.b.WriteString("</xdomea:" + name + ">") }
func (w *xw) text(name, v string) {
	w.open(name)
	xml.EscapeText(&w.b, []byte(v))
	w.close(name)
}
func (w *xw) raw(s string) { w.b.WriteString(s) }
func (w *xw) code(c string) {
	w.raw("<code>")
	xml.EscapeText(&w.b, []byte(c))
	w.raw("</code>")
}

func date(t time.Time) string { return calendar.DateOf(t, calendar.Berlin).String() }

// Message0503 writes the hand-over message for a closed e-file.
func Message0503(f *File, h Handover) []byte {
	w := &xw{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.raw(`<xdomea:Aussonderung.Aussonderung.0503 xmlns:xdomea="urn:xoev-de:xdomea:schema:3.0.0">`)
	w.open("Kopf")
	w.text("ProzessID", uuidOf(f.Ref+":process"))
	w.open("Nachrichtentyp", "listURI", "urn:xoev-de:xdomea:codeliste:nachrichtentyp", "listVersionID", "2.0")
	w.code("0503")
	w.close("Nachrichtentyp")
	w.text("Erstellungszeitpunkt", h.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
	w.open("Absender")
	w.open("Institution")
	w.text("Name", h.Authority)
	w.close("Institution")
	w.open("Organisationseinheit")
	w.text("Name", f.UnitName)
	w.close("Organisationseinheit")
	w.close("Absender")
	w.open("Empfaenger")
	w.open("Institution")
	w.text("Name", h.Archive)
	w.close("Institution")
	w.close("Empfaenger")
	w.open("SendendesSystem")
	w.text("Produktname", "Rathaus")
	w.text("Version", h.Version)
	w.close("SendendesSystem")
	w.text("Importbestaetigung", "1")
	w.text("RueckmeldungArchivkennung", "1")
	w.text("Empfangsbestaetigung", "1")
	w.close("Kopf")

	w.open("Schriftgutobjekt")
	w.open("Akte")
	w.open("Identifikation")
	w.text("ID", uuidOf(f.Ref))
	w.close("Identifikation")
	w.open("AllgemeineMetadaten")
	w.text("Betreff", f.Title)
	w.text("Kennzeichen", f.Ref)
	w.text("Federfuehrung", f.UnitName)
	w.text("Bemerkung", fmt.Sprintf("Vorgang %s zum Antrag %s; Leistung %s (%s)%s", f.CaseRef, f.ApplicationRef, f.ServiceName, f.ServiceRef, leika(f.LeikaKey)))
	w.open("Medium", "listURI", "urn:xoev-de:xdomea:codeliste:medium", "listVersionID", "1.0")
	w.code("001")
	w.close("Medium")
	w.close("AllgemeineMetadaten")
	w.open("ArchivspezifischeMetadaten")
	w.open("Aufbewahrungsdauer")
	w.text("AnzahlJahre", strconv.Itoa(f.RetentionYears))
	w.close("Aufbewahrungsdauer")
	w.open("Aussonderungsart")
	w.open("Aussonderungsart", "listURI", "urn:xoev-de:xdomea:codeliste:aussonderungsart", "listVersionID", "1.0")
	w.code("A")
	w.close("Aussonderungsart")
	w.close("Aussonderungsart")
	if f.RetainUntil != "" {
		w.text("Aufbewahrungsende", f.RetainUntil)
	}
	w.close("ArchivspezifischeMetadaten")
	w.open("Laufzeit")
	w.text("Beginn", date(f.OpenedAt))
	if f.ClosedAt != nil {
		w.text("Ende", date(*f.ClosedAt))
	}
	w.close("Laufzeit")
	w.open("Akteninhalt")
	w.open("Vorgang")
	w.open("Identifikation")
	w.text("ID", uuidOf(f.CaseRef))
	w.close("Identifikation")
	w.open("AllgemeineMetadaten")
	w.text("Betreff", f.ServiceName)
	w.text("Kennzeichen", f.CaseRef)
	w.close("AllgemeineMetadaten")
	if f.ClosedAt != nil {
		w.text("ZdA", "true")
		w.text("ZdADatum", date(*f.ClosedAt))
	}
	w.open("Laufzeit")
	w.text("Beginn", date(f.OpenedAt))
	if f.ClosedAt != nil {
		w.text("Ende", date(*f.ClosedAt))
	}
	w.close("Laufzeit")
	for _, d := range f.Documents {
		w.open("Dokument")
		w.open("Identifikation")
		w.text("ID", uuidOf(f.Ref+":"+strconv.Itoa(d.Seq)))
		w.text("NummerImUebergeordnetenContainer", strconv.Itoa(d.Seq))
		w.close("Identifikation")
		w.open("AllgemeineMetadaten")
		w.text("Betreff", d.Name)
		w.close("AllgemeineMetadaten")
		w.text("DatumDesSchreibens", date(d.CreatedAt))
		w.text("Typ", d.Kind)
		w.open("Version")
		w.text("Nummer", "1")
		w.open("Format")
		code, other := formatCode(d.MediaType)
		w.open("Name", "listURI", "urn:xoev-de:xdomea:codeliste:dateiformat", "listVersionID", "1.0")
		w.code(code)
		w.close("Name")
		if other != "" {
			w.text("SonstigerName", other)
		}
		w.text("Version", "")
		w.open("Primaerdokument")
		w.text("Dateiname", PrimaryName(f, d))
		w.text("DateinameOriginal", d.Name)
		w.text("Ersteller", "Rathaus")
		w.text("DatumUhrzeit", d.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
		w.close("Primaerdokument")
		w.close("Format")
		w.close("Version")
		w.open("AnwendungsspezifischeErweiterung")
		w.text("Kennung", "rathaus-integrity")
		w.text("Name", "Integrität des Primärdokuments")
		for _, fld := range [][2]string{{"SHA-256", d.SHA256}, {"Groesse", strconv.FormatInt(d.Size, 10)}, {"Medientyp", d.MediaType}} {
			w.open("Feld")
			w.text("Name", fld[0])
			w.text("Wert", fld[1])
			w.close("Feld")
		}
		w.close("AnwendungsspezifischeErweiterung")
		w.close("Dokument")
	}
	w.close("Vorgang")
	w.close("Akteninhalt")
	w.close("Akte")
	w.close("Schriftgutobjekt")
	w.raw("</xdomea:Aussonderung.Aussonderung.0503>\n")
	return w.b.Bytes()
}

func leika(k string) string {
	if k == "" {
		return ""
	}
	return "; LeiKa " + k
}

// Export writes the hand-over zip of a closed e-file to out: the 0503
// message first, then every document, each re-verified against its
// SHA-256 by the blob store before a byte is written. The export is
// audited.
func (s *Service) Export(ctx context.Context, p identity.Principal, tenantID int64, fileRef string, h Handover, out io.Writer) (*File, error) {
	if err := p.See(tenantID, identity.RoleRecordsOfficer, identity.RoleAdmin); err != nil {
		return nil, err
	}
	f, err := s.get(ctx, tenantID, fileRef)
	if err != nil {
		return nil, err
	}
	if f.Status != StatusKept && f.Status != StatusHandedOver {
		return nil, fmt.Errorf("e-file %s is %s: only closed, kept files are handed over: %w", fileRef, f.Status, fault.ErrConflict)
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = s.DB.Clock.Now()
	}
	zw := zip.NewWriter(out)
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: MessageName(f), Method: zip.Deflate, Modified: h.CreatedAt})
	if err != nil {
		return nil, err
	}
	if _, err := mw.Write(Message0503(f, h)); err != nil {
		return nil, err
	}
	for _, d := range f.Documents {
		rc, err := s.Blobs.Open(ctx, d.SHA256)
		if err != nil {
			return nil, fmt.Errorf("export %s: document %d: %w", fileRef, d.Seq, err)
		}
		dw, err := zw.CreateHeader(&zip.FileHeader{Name: PrimaryName(f, d), Method: zip.Deflate, Modified: d.CreatedAt})
		if err == nil {
			_, err = io.Copy(dw, rc)
		}
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	err = database.WithTx(ctx, s.DB, func(tx *database.Tx) error {
		return audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "records.file.export", ObjectType: "record_file", ObjectRef: f.Ref,
			After: map[string]any{"documents": len(f.Documents), "message": MessageName(f)}})
	})
	return f, err
}
