package mailbox

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/seal"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// Messages are the mailbox's catalog files (keys "mailbox.", "fault.").
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// pages are the mailbox's page templates.
var pages = []string{"inbox", "message", "settings", "link", "print"}

// AddTemplates parses the mailbox's pages into r.
func AddTemplates(r *web.Renderer) error {
	for _, p := range pages {
		if err := r.Add("mailbox."+p, templateFS, "templates/"+p+".html", "templates/partials.html"); err != nil {
			return err
		}
	}
	return nil
}

// Handler is the HTTP surface of the mailbox.
type Handler struct {
	Svc      *Service
	Identity *identity.Handler
	Pages    *web.Renderer
	Shell    func(*http.Request) web.Shell
}

// Routes lists every URL of the mailbox.
func (h *Handler) Routes(rt *web.Router) {
	ex := Message{Ref: "N-7K3M-Q9TX", Direction: "outbound", Kind: KindDecision, SubjectRef: "C-7K3M-Q9TX", Sender: "Musterstadt – Steueramt", Title: "Bescheid", Delivery: DeliveryElectronic, Documents: []Document{}}
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/mailbox", ID: "listMailbox", Tag: "mailbox", Auth: []string{"citizen", "business"},
		Summary: "The signed-in citizen's or business's mailbox, newest first", Response: []Message{ex}}, h.handleListAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/mailbox/{id}", ID: "getMailboxMessage", Tag: "mailbox", Auth: []string{"citizen", "business"},
		Summary: "One message with its documents and replies; records when it was first opened", Response: ex}, h.handleGetAPI)
	rt.API(web.Operation{Method: "POST", Path: "/api/v1/mailbox/{id}/replies", ID: "replyMailboxMessage", Tag: "mailbox", Auth: []string{"citizen", "business"}, Status: 201,
		Summary: "Answer a message that takes replies (text; files through the page's multipart form)", Request: replyRequest{Body: "Anbei die Angaben."}, Response: ex}, h.handleReplyAPI)
	rt.API(web.Operation{Method: "GET", Path: "/api/v1/mailbox/consent", ID: "getDeliveryConsent", Tag: "mailbox", Auth: []string{"citizen", "business"},
		Summary: "The consent to electronic delivery of decisions", Response: Consent{Consented: true}}, h.handleConsentAPI)
	rt.API(web.Operation{Method: "PUT", Path: "/api/v1/mailbox/consent", ID: "putDeliveryConsent", Tag: "mailbox", Auth: []string{"citizen", "business"},
		Summary: "Give or withdraw the consent to electronic delivery (recorded and audited)", Request: Consent{Consented: true}, Response: Consent{Consented: true}}, h.handlePutConsentAPI)
	if h.Pages == nil {
		return
	}
	rt.HandleFunc("GET /postfach", h.page(h.handleInbox))
	rt.HandleFunc("GET /postfach/einstellungen", h.page(h.handleSettings))
	rt.HandleFunc("POST /postfach/einstellungen", h.page(h.handleSettings))
	rt.HandleFunc("GET /nachricht/{token}", h.page(h.handleLink))
	rt.HandleFunc("POST /nachricht/{token}", h.page(h.handleLink))
	rt.HandleFunc("GET /postfach/{id}", h.page(h.handleMessage))
	rt.HandleFunc("POST /postfach/{id}/antwort", h.page(h.handleReply))
	rt.HandleFunc("GET /postfach/{id}/dokumente/{doc}", h.page(h.handleDocument))
	rt.HandleFunc("GET /verwaltung/druckauftraege", h.page(h.handlePrint))
	rt.HandleFunc("POST /verwaltung/druckauftraege/{id}/gedruckt", h.page(h.handlePrinted))
	rt.HandleFunc("GET /verwaltung/druckauftraege/{id}/dokument", h.page(h.handlePrintDocument))
}

// page sends a GET that needs a sign-in to the sign-in page and back.
func (h *Handler) page(fn web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := fn(w, r)
		if err != nil && r.Method == http.MethodGet && errors.Is(err, fault.ErrUnauthorized) {
			http.Redirect(w, r, "/anmelden?"+url.Values{"return_to": {web.LocalPath(r.URL)}}.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, staff bool, data any) error {
	sh := h.Shell(r)
	if staff {
		sh.Area = web.AreaStaff
	}
	w.Header().Set("Cache-Control", "no-store")
	return h.Pages.Render(w, r, status, "mailbox."+name, sh, data)
}

type replyRequest struct {
	Body string `json:"body"`
}

func (h *Handler) handleListAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	ms, err := h.Svc.Inbox(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, ms)
	return nil
}

func (h *Handler) handleGetAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	m, err := h.Svc.Open(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, m)
	return nil
}

func (h *Handler) handleReplyAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req replyRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	m, err := h.Svc.Reply(r.Context(), p, t.ID, r.PathValue("id"), req.Body, nil)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 201, m)
	return nil
}

func (h *Handler) handleConsentAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	c, err := h.Svc.ConsentOf(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, c)
	return nil
}

func (h *Handler) handlePutConsentAPI(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	var req Consent
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Svc.SetConsent(r.Context(), p, t.ID, req.Consented, "api"); err != nil {
		return err
	}
	c, err := h.Svc.ConsentOf(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, 200, c)
	return nil
}

// InboxPage is the mailbox's list.
type InboxPage struct {
	Messages []Message
	Consent  Consent
	Notice   string
}

func (h *Handler) handleInbox(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	ms, err := h.Svc.Inbox(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	c, err := h.Svc.ConsentOf(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	v := InboxPage{Messages: ms, Consent: c}
	if r.URL.Query().Get("hinweis") == "reply_sent" {
		v.Notice = "mailbox.notice.reply_sent"
	}
	return h.render(w, r, 200, "inbox", false, v)
}

// MessagePage is one message with its documents' seal checks and the
// reply form.
type MessagePage struct {
	Message Message
	Docs    []DocumentView
	Replies []Message
	Form    web.Form
	Notice  string
}

// DocumentView is a document with the result of its seal check.
type DocumentView struct {
	Document
	Seal *seal.Verification
}

func (h *Handler) messagePage(r *http.Request, m *Message, form web.Form) MessagePage {
	v := MessagePage{Message: *m, Replies: m.Replies, Form: form}
	for _, d := range m.Documents {
		v.Docs = append(v.Docs, DocumentView{Document: d, Seal: h.Svc.SealCheck(r.Context(), d)})
	}
	return v
}

func (h *Handler) handleMessage(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	m, err := h.Svc.Open(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := h.messagePage(r, m, web.Form{})
	if r.URL.Query().Get("hinweis") == "reply_sent" {
		v.Notice = "mailbox.notice.reply_sent"
	}
	return h.render(w, r, 200, "message", false, v)
}

func (h *Handler) handleReply(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(MaxFiles * MaxFileBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return fmt.Errorf("reply form: %w", fault.ErrTooLarge)
	}
	body := r.FormValue("body")
	var files []Upload
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
			f.Close()
			if err != nil {
				return err
			}
			if len(data) == 0 {
				continue
			}
			files = append(files, Upload{Name: fh.Filename, Data: data})
		}
	}
	id := r.PathValue("id")
	_, err = h.Svc.Reply(r.Context(), p, t.ID, id, body, files)
	if err == nil {
		http.Redirect(w, r, "/postfach/"+id+"?hinweis=reply_sent", http.StatusSeeOther)
		return nil
	}
	v, ok := fault.AsValidation(err)
	if !ok {
		return err
	}
	m, oerr := h.Svc.Open(r.Context(), p, t.ID, id)
	if oerr != nil {
		return oerr
	}
	form := web.Form{Values: url.Values{"body": {body}}}
	for _, fe := range v.Errors {
		field := fe.Field
		if strings.HasPrefix(field, "files") {
			field = "files"
		}
		form.Errors = append(form.Errors, web.FieldError{Field: field, ID: "antwort-" + field, Message: "fault." + fe.Code, Args: fe.Args})
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "message", false, h.messagePage(r, m, form))
}

func (h *Handler) handleDocument(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	d, rc, err := h.Svc.OpenDocument(r.Context(), p, t.ID, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer rc.Close()
	serveFile(w, r, d.Name, d.MediaType, rc)
	return nil
}

// serveFile sends a stored document as a download (never rendered inline
// as HTML: the type is one of the sniffed ones, and nosniff is set).
func serveFile(w http.ResponseWriter, r *http.Request, name, mediaType string, rc io.ReadSeeker) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(w, r, "", time.Time{}, rc)
}

// SettingsPage is the consent form.
type SettingsPage struct {
	Consent Consent
	Notice  string
	Form    web.Form
}

func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return err
		}
		choice := r.PostForm.Get("consent")
		if choice != "yes" && choice != "no" {
			c, _ := h.Svc.ConsentOf(r.Context(), p, t.ID)
			f := web.Form{}
			f.Fail("consent", "consent-yes", "mailbox.settings.choose")
			return h.render(w, r, http.StatusUnprocessableEntity, "settings", false, SettingsPage{Consent: c, Form: f})
		}
		if err := h.Svc.SetConsent(r.Context(), p, t.ID, choice == "yes", "account_page"); err != nil {
			return err
		}
		http.Redirect(w, r, "/postfach/einstellungen?hinweis=saved", http.StatusSeeOther)
		return nil
	}
	c, err := h.Svc.ConsentOf(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	v := SettingsPage{Consent: c}
	if r.URL.Query().Get("hinweis") == "saved" {
		v.Notice = "mailbox.notice.consent_saved"
	}
	return h.render(w, r, 200, "settings", false, v)
}

// LinkPage confirms opening a message from a notification mail.
type LinkPage struct {
	Token string
}

func (h *Handler) handleLink(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	if r.Method == http.MethodPost {
		ref, err := h.Svc.UseLink(r.Context(), p, t.ID, token)
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/postfach/"+ref, http.StatusSeeOther)
		return nil
	}
	if err := owner(p, t.ID); err != nil {
		return err
	}
	if !h.Svc.LinkValid(r.Context(), t.ID, token) {
		return fmt.Errorf("mailbox link: %w", fault.ErrNotFound)
	}
	return h.render(w, r, 200, "link", false, LinkPage{Token: token})
}

// PrintPage lists the print jobs.
type PrintPage struct {
	Jobs   []PrintJob
	Notice string
}

func (h *Handler) handlePrint(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	jobs, err := h.Svc.PrintJobs(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	v := PrintPage{Jobs: jobs}
	if r.URL.Query().Get("hinweis") == "printed" {
		v.Notice = "mailbox.notice.printed"
	}
	return h.render(w, r, 200, "print", true, v)
}

func (h *Handler) handlePrinted(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	if err := h.Svc.MarkPrinted(r.Context(), p, t.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/verwaltung/druckauftraege?hinweis=printed", http.StatusSeeOther)
	return nil
}

func (h *Handler) handlePrintDocument(w http.ResponseWriter, r *http.Request) error {
	p, t, err := h.Identity.PrincipalFrom(r)
	if err != nil {
		return err
	}
	d, b, err := h.Svc.PrintDocument(r.Context(), p, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	serveFile(w, r, d.Name, d.MediaType, strings.NewReader(string(b)))
	return nil
}
