package app

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/forms"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

// formsViewModels are view models of every forms page, reaching their
// branches: errors at fields, every field type, empty and full lists.
func formsViewModels() map[string][]any {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	errs := web.Form{Errors: []web.FieldError{{Field: "breed", ID: "f-breed", Message: "forms.error.summary", Args: map[string]any{"label": "Rasse", "problem": "Bitte füllen"}}}}
	opts := func(id string) []forms.OptionView {
		return []forms.OptionView{{ID: id, Value: "a", Label: "A", Checked: true}, {ID: id + "-2", Value: "b", Label: "<B>"}}
	}
	fields := []forms.FieldView{
		{Path: "breed", ID: "f-breed", Name: "breed", Type: "text", Label: "Rasse", Help: "Hinweis", Value: "<Dackel>", Error: "fault.required"},
		{Path: "note", ID: "f-note", Type: "note", Label: "Hinweis", Help: "Text"},
		{Path: "long", ID: "f-long", Name: "long", Type: "textarea", Label: "Lang", Optional: true},
		{Path: "mail", ID: "f-mail", Name: "mail", Type: "email", Label: "E-Mail", Autocomplete: "email"},
		{Path: "x", ID: "f-x", Name: "x", Type: "radio", Label: "Wahl", Options: opts("f-x"), Error: "fault.invalid_choice"},
		{Path: "y", ID: "f-y", Name: "y", Type: "checkboxes", Label: "Mehrere", Options: opts("f-y")},
		{Path: "z", ID: "f-z", Name: "z", Type: "yesno", Label: "Ja?", Options: opts("f-z")},
		{Path: "s", ID: "f-s", Name: "s", Type: "select", Label: "Liste", Options: opts("f-s")},
		{Path: "a", ID: "f-a", Type: "address", Label: "Anschrift", Children: []forms.FieldView{{Path: "a.street", ID: "f-a-street", Name: "a.street", Type: "text", Label: "Straße", Error: "fault.required"}}},
		{Path: "v", ID: "f-v", Type: "group", Label: "Fahrzeug", Error: "fault.items_too_few", ErrorArgs: map[string]any{"min": 1}, CanAdd: true,
			Entries: []forms.EntryView{{Index: 0, Title: "Fahrzeug 1", Remove: "v|0", Fields: []forms.FieldView{{Path: "v.0.plate", ID: "f-v-0-plate", Name: "v.0.plate", Type: "text", Label: "Kennzeichen"}}}}},
		{Path: "g", ID: "f-g", Type: "group", Label: "Gruppe", Children: []forms.FieldView{{Path: "g.c", ID: "f-g-c", Name: "g.c", Type: "text", Label: "Kind"}}},
		{Path: "f", ID: "f-f", Name: "f", Type: "file", Label: "Nachweis", Files: []forms.FileView{{Name: "a.pdf", Size: "2 KB", Remove: "f|ab"}}, MoreFiles: true, Accept: "application/pdf,.pdf"},
	}
	lines := []forms.Line{{Label: "Vorname", Value: "Paul"}, {Label: "Fahrzeug", Heading: true}, {Label: "Kennzeichen", Value: "M-AB 1", Depth: 1}}
	usage := &forms.Usage{Months: []forms.MonthCount{{Month: "2026-03", Count: 2}}, Total: 2}
	rep := &forms.ImportReport{FIMID: "S1", Title: "Gewerbe", Form: "F-1", Version: 2, Inferred: []forms.Inference{{Path: "f1", Label: "Datum", Type: forms.TypeDate, Reason: "label names a date"}},
		Skipped: []forms.SkippedRule{{RuleID: "R1", Reason: "unclear", Text: "Wenn …"}}}
	def, _ := forms.DemoForm("bewohnerparken")
	version := forms.VersionInfo{Version: 1, Status: "published", SHA256: "abcdef0123456789", CreatedAt: at, UpdatedAt: at, PublishedAt: &at}
	return map[string][]any{
		"start": {forms.StartPage{ServiceID: "L-1", Title: "Hundesteuer", Intro: "Intro", Fee: "96 €", Steps: []string{"A", "B"}, LoginURL: "/anmelden"},
			forms.StartPage{ServiceID: "L-1", Title: "Hundesteuer", SignedIn: true, Drafts: []forms.DraftSummary{{Ref: "D-1", UpdatedAt: at}}},
			forms.StartPage{ServiceID: "L-1", Title: "Hundesteuer", SignedIn: true, WrongKind: true},
			forms.StartPage{ServiceID: "L-1", Title: "Hundesteuer", Anonymous: true, LoginURL: "/anmelden"}},
		"consent": {forms.ConsentPage{DraftRef: "D-1", Title: "T", Items: []forms.PrefillItem{{Key: "given_name", Label: "Vorname", Value: "Paul"}}},
			forms.ConsentPage{DraftRef: "D-1", Title: "T", Items: []forms.PrefillItem{{Label: "Vorname", Value: "Paul"}}, Form: web.Form{Errors: []web.FieldError{{Field: "prefill", ID: "f-prefill", Message: "forms.consent.error"}}}}},
		"step": {forms.StepPage{DraftRef: "D-1", Title: "T", StepID: "s", StepTitle: "Schritt", StepNo: 1, StepCount: 2, Fields: fields, Form: errs, Multipart: true, BackURL: "/antrag/L-1", InlineButtons: true, NoticeKey: "forms.notice.prefilled"},
			forms.StepPage{DraftRef: "D-1", Title: "T", StepID: "s", StepTitle: "Schritt", StepNo: 2, StepCount: 2, BackURL: "/x"}},
		"check": {forms.CheckPage{DraftRef: "D-1", Title: "T", Fee: "30 €", Sections: []forms.CheckSection{{StepID: "a", Title: "A", ChangeURL: "/x", Lines: lines}, {StepID: "b", Title: "B", ChangeURL: "/y"}}, CanSubmit: true},
			forms.CheckPage{DraftRef: "D-1", Title: "T", Anonymous: true, Email: "a@b.de", EmailSent: true, Form: errs, EmailForm: web.Form{Values: url.Values{"email": {"x"}}, Errors: []web.FieldError{{Field: "email", ID: "f-email", Message: "fault.invalid_email"}}}},
			forms.CheckPage{DraftRef: "D-1", Title: "T", Anonymous: true, Email: "a@b.de", EmailConfirmed: true, CanSubmit: true, NoticeKey: "forms.notice.email_confirmed"}},
		"saved": {forms.SavedPage{DraftRef: "D-1", Title: "T", ExpiresAt: at}, forms.SavedPage{DraftRef: "D-1", Title: "T", Anonymous: true, Sent: true, ExpiresAt: at},
			forms.SavedPage{DraftRef: "D-1", Title: "T", Anonymous: true, ExpiresAt: at, Form: web.Form{Values: url.Values{"email": {"x"}}, Errors: []web.FieldError{{Field: "email", ID: "f-email", Message: "fault.invalid_email"}}}}},
		"resume":  {forms.TokenPage{Token: "abc"}},
		"confirm": {forms.TokenPage{Token: "abc"}},
		"applications": {forms.ApplicationsPage{}, forms.ApplicationsPage{Applications: []forms.ApplicationRow{{Summary: forms.Summary{Ref: "A-1", FormTitle: "Hundesteuer", SubmittedAt: at}, StatusKey: "forms.status.submitted"}},
			Drafts: []forms.DraftSummary{{Ref: "D-1", FormTitle: "X", ExpiresAt: at}}}},
		"application": {forms.ApplicationPage{Ref: "A-1", Title: "T", StatusKey: "forms.status.submitted", SubmittedAt: at, Lines: lines, Files: []forms.File{{Name: "a.pdf"}}, Withdrawable: true, NoticeKey: "forms.notice.submitted"},
			forms.ApplicationPage{Ref: "A-1", Title: "T", StatusKey: "forms.status.decided", SubmittedAt: at, Form: web.Form{Errors: []web.FieldError{{Field: "confirm", ID: "f-confirm", Message: "forms.withdraw.error"}}}, Withdrawable: true},
			forms.ApplicationPage{Ref: "A-1", Title: "T", StatusKey: "forms.status.submitted", SubmittedAt: at, Anonymous: true, Email: "a@b.de"}},
		"directory": {forms.DirectoryPage{Channels: []string{"paper", "online"}},
			forms.DirectoryPage{Channels: []string{"online"}, Report: rep, Rows: []forms.DirectoryRow{{Ref: "F-1", Name: "Hund", ServiceName: "Hundesteuer", ChannelKey: "forms.channel.online", Published: 1, Latest: 2, LatestStatusKey: "forms.version.draft", Usage: usage, Share: "3 %"}},
				Form: web.Form{Values: url.Values{"name": {""}}, Errors: []web.FieldError{{Field: "name", ID: "new-name", Message: "fault.required"}}}}},
		"form": {forms.FormPage{Form: forms.Form{Ref: "F-1", Name: "Hund", Channel: forms.ChannelOnline, Source: "demo"}, Channels: []string{"paper", "online"}, Edit: web.Form{Values: url.Values{"channel": {"online"}}},
			Versions: []forms.VersionRow{{VersionInfo: version, StatusKey: "forms.version.published"}, {VersionInfo: forms.VersionInfo{Version: 2, Status: "draft", CreatedAt: at, UpdatedAt: at}, StatusKey: "forms.version.draft", CanEdit: true, CanPublish: true}}, ServiceURL: "/leistungen/L-1", NoticeKey: "forms.notice.published"},
			forms.FormPage{Form: forms.Form{Ref: "F-1", Name: "Papier", Channel: forms.ChannelPaper}, Channels: []string{"paper"}, Edit: web.Form{Values: url.Values{}}}},
		"builder": {forms.BuilderPage{Ref: "F-1", Name: "Hund", Version: 2, Def: def, Types: []string{"text", "radio"}, AudienceKinds: forms.AccountKinds, Meta: web.Form{Values: url.Values{"audience": {"citizen"}, "anonymous": {"yes"}}},
			Steps: []forms.BuilderStep{{Index: 0, No: 1, Title: "A", First: true, Groups: []string{"g"}, Buttons: []forms.BuilderButton{{Ref: "F-1", Action: "step_down", Label: "runter", Context: "A"}},
				Fields: []forms.BuilderField{{Path: "a", Label: "Frage", Type: "text", Required: true, Conditional: true, Buttons: []forms.BuilderButton{{Ref: "F-1", Action: "field_remove", Field: "a", Label: "weg"}}}}}, {Index: 1, No: 2, Title: "B", Last: true}},
			Problems: web.Form{Errors: []web.FieldError{{Field: "x", ID: "aufbau", Message: "fault.stale"}}}}},
		"field": {forms.FieldPage{Ref: "F-1", Path: "a", Version: 2, Type: "text", Types: []string{"text"}, Prefills: forms.Prefills, Targets: [][2]string{{"b", "B"}}, MediaTypes: forms.MediaTypes,
			Form:       web.Form{Values: url.Values{"type": {"text"}, "accept": {"application/pdf"}, "vis_field": {"b"}, "vis_op": {"equals"}}, Errors: []web.FieldError{{Field: "max_length", ID: "feld-max-length", Message: "fault.not_integer"}}},
			Problems:   web.Form{Errors: []web.FieldError{{Field: "max_length", ID: "feld-max-length", Message: "fault.not_integer"}}},
			Conditions: []forms.ConditionInput{{Prefix: "vis", Legend: "forms.field.visible_if", Complex: true}, {Prefix: "req", Legend: "forms.field.required_if"}}, Ops: []string{"equals", "in"}, Preview: fields[:1]}},
		"preview": {forms.PreviewPage{Ref: "F-1", Title: "Hund", Version: 1, StatusKey: "forms.version.published", Steps: []forms.PreviewStep{{Title: "A", Intro: "I", Fields: fields[2:4], Conditional: true}}}},
	}
}

// TestFormsTemplatesRenderTheirViewModels executes every forms page
// against its view model in both languages and checks its structure.
func TestFormsTemplatesRenderTheirViewModels(t *testing.T) {
	models := formsViewModels()
	for _, name := range forms.PageNames {
		if _, ok := models[name]; !ok {
			t.Errorf("page template forms.%s has no view model in formsViewModels", name)
		}
	}
	for name, vms := range models {
		for i, vm := range vms {
			for _, lang := range i18n.Langs {
				t.Run(name+"/"+strconv.Itoa(i)+"/"+string(lang), func(t *testing.T) {
					r := httptest.NewRequest("GET", "/seite?lang="+string(lang), nil)
					var buf bytes.Buffer
					if err := site().r.Execute(&buf, "forms."+name, site().r.View(r, 200, web.Shell{Tenant: "Musterstadt", RequestID: "req-1"}, vm)); err != nil {
						t.Fatal(err)
					}
					checkPage(t, buf.Bytes(), string(lang))
				})
			}
		}
	}
}
