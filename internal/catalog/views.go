package catalog

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/i18n"
	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// Pages are the catalog's page templates (templates/NAME.html).
var Pages = []string{"catalog_finder", "catalog_service", "catalog_assistant", "catalog_digitisation", "catalog_edit", "catalog_misses"}

// AddTemplates parses the catalog's pages into the renderer (at start-up:
// a broken template stops the program there).
func AddTemplates(r *web.Renderer) error {
	for _, name := range Pages {
		if err := r.Add(name, templateFS, "templates/"+name+".html"); err != nil {
			return err
		}
	}
	return nil
}

// Messages are the catalog's message files (de.json, en.json) for
// i18n.Catalog.Load.
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err) // the embedded directory exists; caught by tests
	}
	return sub
}

func (h *Handler) shell(r *http.Request, area web.Area) web.Shell {
	var s web.Shell
	if h.Shell != nil {
		s = h.Shell(r)
	} else if t := identity.TenantFrom(r.Context()); t != nil {
		s.Tenant = t.Name
	}
	s.Area = area
	return s
}

// FacetLink is one facet value as a link that narrows (or widens) the
// result list.
type FacetLink struct {
	Value  string
	Count  int
	URL    string
	Active bool
}

// FinderHit is one result on the finder page.
type FinderHit struct {
	Name, URL, Summary string
	AvailabilityKey    string
	Online             bool
	// Federal: an entry of the federal catalogue the city does not handle
	// itself; the page says so and links the federal portal.
	Federal bool
}

// FinderPage is the view model of GET /leistungen.
type FinderPage struct {
	Query, LifeSituation, Topic string
	Hits                        []FinderHit
	Total                       int
	// Searched is true when a query was given (an empty result then says
	// so; without a query the page only shows the search form).
	Searched       bool
	LifeSituations []FacetLink
	Topics         []FacetLink
	ClearURL       string
	Credit         string
	// PortalURL is linked for federal hits.
	PortalURL string
	// When nothing fits: a corrected query ("did you mean") with its URL,
	// the assistant started with the query, and the town hall's contact.
	Suggestion, SuggestionURL string
	AssistantURL              string
	Contact                   Contact
}

// Contact is how to reach the town hall when the finder does not help.
type Contact struct {
	Name, Street, Postcode, City, Email string
}

func finderURL(q, ls, topic string) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if ls != "" {
		v.Set("lebenslage", ls)
	}
	if topic != "" {
		v.Set("thema", topic)
	}
	if len(v) == 0 {
		return "/leistungen"
	}
	return "/leistungen?" + v.Encode()
}

// serviceURL is the page of a service.
func serviceURL(ref string) string { return "/leistungen/" + url.PathEscape(ref) }

func availabilityKey(a Availability) string { return "catalog.availability." + string(a) }

func (h *Handler) handleFinderPage(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	qv := r.URL.Query()
	q := strings.TrimSpace(cutQuery(qv.Get("q")))
	ls, topic := cutQuery(qv.Get("lebenslage")), cutQuery(qv.Get("thema"))
	v := FinderPage{Query: q, LifeSituation: ls, Topic: topic, Searched: q != "", ClearURL: finderURL(q, "", ""), Credit: Credit,
		Hits: []FinderHit{}, LifeSituations: []FacetLink{}, Topics: []FacetLink{}, PortalURL: FederalPortal,
		AssistantURL: "/assistent?" + url.Values{"q": {q}}.Encode(),
		Contact:      Contact{Name: t.Name, Street: t.Settings.Address.Street, Postcode: t.Settings.Address.Postcode, City: t.Settings.Address.City, Email: t.Settings.MailFrom}}
	if q == "" && ls != "" {
		// Browsing a life situation (from the home page): its services.
		f, err := h.Catalog.Finder(r.Context(), t.ID)
		if err != nil {
			return err
		}
		v.Searched = true
		for _, s := range f.ByLifeSituation(ls, MaxLimit) {
			v.Hits = append(v.Hits, FinderHit{Name: s.Name, URL: serviceURL(s.ID), Summary: s.Summary,
				AvailabilityKey: availabilityKey(s.Availability), Online: s.Availability.Online(), Federal: s.IsFederal()})
		}
		v.Total = len(v.Hits)
	}
	if q != "" {
		f, err := h.Catalog.Finder(r.Context(), t.ID)
		if err != nil {
			return err
		}
		// Facets count over the whole query, so a chosen facet still
		// shows its siblings.
		all := f.Find(Query{Text: q, Limit: MaxLimit})
		res := all
		if ls != "" || topic != "" {
			res = f.Find(Query{Text: q, Limit: MaxLimit, LifeSituation: ls, Topic: topic})
		}
		v.Total = res.Total
		federal := false
		for _, hit := range res.Hits {
			s, _ := f.Service(hit.ID)
			v.Hits = append(v.Hits, FinderHit{Name: s.Name, URL: serviceURL(s.ID), Summary: s.Summary,
				AvailabilityKey: availabilityKey(s.Availability), Online: s.Availability.Online(), Federal: s.IsFederal()})
			federal = federal || s.IsFederal()
		}
		if federal {
			v.Credit += "; " + FederalCredit
		}
		if res.Suggestion != "" && !strings.EqualFold(res.Suggestion, q) {
			v.Suggestion, v.SuggestionURL = res.Suggestion, finderURL(res.Suggestion, "", "")
		}
		if all.Total == 0 {
			h.Catalog.RecordMiss(t.ID, q, MissNone)
		}
		for _, fc := range all.Facets.LifeSituations {
			v.LifeSituations = append(v.LifeSituations, FacetLink{Value: fc.Value, Count: fc.Count, Active: fc.Value == ls, URL: finderURL(q, toggle(fc.Value, ls), topic)})
		}
		for _, fc := range all.Facets.Topics {
			v.Topics = append(v.Topics, FacetLink{Value: fc.Value, Count: fc.Count, Active: fc.Value == topic, URL: finderURL(q, ls, toggle(fc.Value, topic))})
		}
	}
	return h.Pages.Render(w, r, http.StatusOK, "catalog_finder", h.shell(r, web.AreaCitizen), v)
}

// toggle returns v unless it is the active value (then the link removes
// the filter).
func toggle(v, active string) string {
	if v == active {
		return ""
	}
	return v
}

// FeeLine is one fee, formatted by the template in the page's language.
type FeeLine struct {
	Kind           FeeKind
	Label, Text    string
	Amount         decimal.Decimal
	Min, Max       decimal.Decimal
	HasMin, HasMax bool
}

// LinkView is an external link on the service page.
type LinkView struct {
	Label, URL string
}

// ServicePage is the view model of GET /leistungen/{id}.
type ServicePage struct {
	Ref, Name, Summary string
	// Description is the sanitised source HTML (allow-listed tags only,
	// see DescriptionHTML) or, without it, plain paragraphs.
	DescriptionHTML template.HTML
	Paragraphs      [][]string
	Prerequisites   []string
	Documents       []string
	Fees            []FeeLine
	FeeText         string
	LegalBasis      string
	ProcessingTime  string
	AvailabilityKey string
	LeikaKeys       []string
	// Next steps: first what the city's own modules offer (apply online,
	// book an appointment), then the links of the service's description.
	Offers      []Offer
	OnlineLinks []LinkView
	FormLinks   []LinkView
	InfoLinks   []LinkView
	Bookable    bool
	Minutes     int
	// Responsibility: the city's units and offices (ordered for the
	// postcode), or — when the city has none for the service — a link to
	// the federal portal.
	Units           []string
	Offices         []Office
	Postcode        string
	PostcodeInvalid bool
	HasAreas        bool
	NotResponsible  bool
	PortalURL       string
	Credit          string
}

var postcodeRE = regexp.MustCompile(`^[0-9]{5}$`)

// FederalPortal is where citizens find services the city is not
// responsible for: the federal portal, which links the responsible
// authorities and their online services.
const FederalPortal = "https://verwaltung.bund.de/"

func (h *Handler) handleServicePage(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	st, err := h.Catalog.Get(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s := st.Service
	if NormalizeRef(r.PathValue("id")) != r.PathValue("id") {
		http.Redirect(w, r, serviceURL(s.ID), http.StatusMovedPermanently)
		return nil
	}
	v := ServicePage{Ref: s.ID, Name: s.Name, Summary: s.Summary, Prerequisites: s.Prerequisites, Documents: s.RequiredDocuments,
		FeeText: s.FeeText, LegalBasis: s.LegalBasis, ProcessingTime: s.ProcessingTime, AvailabilityKey: availabilityKey(s.Availability),
		LeikaKeys: s.LeikaKeys, Bookable: s.Bookable, Minutes: s.AppointmentMinutes, Units: s.Units, Credit: "",
		DescriptionHTML: template.HTML(s.DescriptionHTML)} // sanitised on every store and read (Service.normalise)
	if s.DescriptionHTML == "" {
		v.Paragraphs = plainParagraphs(s.Description)
	}
	if s.Source == SourceMunich {
		v.Credit = Credit
	}
	for _, f := range s.Fees {
		fl := FeeLine{Kind: f.Kind, Label: f.Label, Text: f.Text}
		if f.Amount != nil {
			fl.Amount = *f.Amount
		}
		if f.Min != nil {
			fl.Min, fl.HasMin = *f.Min, true
		}
		if f.Max != nil {
			fl.Max, fl.HasMax = *f.Max, true
		}
		v.Fees = append(v.Fees, fl)
	}
	for _, l := range s.Links {
		lv := LinkView{Label: l.Label, URL: l.URL}
		if lv.Label == "" {
			lv.Label = l.URL
		}
		switch l.Kind {
		case "online_service":
			v.OnlineLinks = append(v.OnlineLinks, lv)
		case "form":
			v.FormLinks = append(v.FormLinks, lv)
		default:
			v.InfoLinks = append(v.InfoLinks, lv)
		}
	}
	for _, offers := range h.Offers {
		os, err := offers(r.Context(), t.ID, s.ID)
		if err != nil {
			return fmt.Errorf("service page %s: offers: %w", s.ID, err)
		}
		v.Offers = append(v.Offers, os...)
	}
	for _, o := range v.Offers {
		if o.Kind == "apply" {
			// The city's own online form replaces the source's links to
			// other portals (Munich's, or a placeholder).
			v.OnlineLinks = nil
		}
	}
	pc := strings.TrimSpace(r.URL.Query().Get("plz"))
	if pc != "" {
		if postcodeRE.MatchString(pc) {
			v.Postcode = pc
		} else {
			v.PostcodeInvalid = true
		}
	}
	v.Offices = s.OfficesFor(v.Postcode)
	if v.Postcode != "" {
		v.Offices = nearest(v.Offices, v.Postcode)
	}
	for _, o := range s.Offices {
		v.HasAreas = v.HasAreas || len(o.PostalCodes) > 0 || o.PostalCode != ""
	}
	v.HasAreas = v.HasAreas && len(s.Offices) > 1
	if len(s.Offices) == 0 && len(s.Units) == 0 {
		v.NotResponsible = true
		v.PortalURL = FederalPortal
	}
	status := http.StatusOK
	if v.PostcodeInvalid {
		status = http.StatusUnprocessableEntity
	}
	return h.Pages.Render(w, r, status, "catalog_service", h.shell(r, web.AreaCitizen), v)
}

// nearest keeps the offices responsible for the postcode, or else the
// three nearest (offices come ordered by OfficesFor).
func nearest(offices []Office, postcode string) []Office {
	var resp []Office
	for _, o := range offices {
		for _, p := range o.PostalCodes {
			if p == postcode {
				resp = append(resp, o)
				break
			}
		}
	}
	if len(resp) > 0 {
		return resp
	}
	if len(offices) > 3 {
		return offices[:3]
	}
	return offices
}

func plainParagraphs(s string) [][]string {
	var out [][]string
	for _, block := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}

// AssistantPage is the view model of GET/POST /assistent.
type AssistantPage struct {
	State    string // encoded AssistantState for the hidden field
	Started  bool   // the citizen has said what they want
	Text     string
	Question string
	Options  []Option
	Message  string
	Form     web.Form
}

func (h *Handler) handleAssistant(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantOf(r)
	if err != nil {
		return err
	}
	lang := string(i18n.FromRequest(r))
	if r.Method == http.MethodGet && r.URL.Query().Get("q") == "" {
		st := AssistantState{Lang: lang}
		return h.Pages.Render(w, r, http.StatusOK, "catalog_assistant", h.shell(r, web.AreaCitizen), AssistantPage{State: st.Encode()})
	}
	var form url.Values
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return err
		}
		form = r.PostForm
	} else {
		form = r.URL.Query()
	}
	st, err := DecodeAssistantState(form.Get("state"))
	if err != nil {
		st = AssistantState{} // a forged or outdated state: start again
	}
	st.Lang = lang
	input := strings.TrimSpace(form.Get("answer"))
	if input == "" {
		input = strings.TrimSpace(form.Get("q"))
	}
	if pc := strings.TrimSpace(form.Get("plz")); postcodeRE.MatchString(pc) {
		st.Postcode = pc
	}
	if input == "" {
		// Nothing said or chosen: ask again with an error summary.
		v := AssistantPage{State: st.Encode(), Started: st.Text != "", Text: st.Text, Form: web.Form{Values: form}}
		if st.Text == "" {
			v.Form.Fail("q", "assistent-q", "catalog.assistant.error.empty")
		} else {
			prev := h.assistant(r, t.ID)
			if prev == nil {
				return errors.New("assistant: no finder")
			}
			reply := prev.Respond(AssistantState{Text: st.Text, Lang: st.Lang, Postcode: st.Postcode, Answers: st.Answers, Asked: max(0, st.Asked-1)}, "")
			v.Question, v.Options = reply.Question, reply.Options
			v.State = st.Encode()
			v.Form.Fail("answer", "assistent-answer-0", "catalog.assistant.error.choose")
		}
		return h.Pages.Render(w, r, http.StatusUnprocessableEntity, "catalog_assistant", h.shell(r, web.AreaCitizen), v)
	}
	a := h.assistant(r, t.ID)
	if a == nil {
		return errors.New("assistant: no finder")
	}
	reply := a.Respond(st, input)
	if reply.Service != nil {
		to := serviceURL(reply.Service.ID)
		if reply.State.Postcode != "" {
			to += "?plz=" + reply.State.Postcode
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	v := AssistantPage{State: reply.State.Encode(), Started: reply.State.Text != "", Text: reply.State.Text,
		Question: reply.Question, Options: reply.Options, Message: reply.Message}
	return h.Pages.Render(w, r, http.StatusOK, "catalog_assistant", h.shell(r, web.AreaCitizen), v)
}

func (h *Handler) assistant(r *http.Request, tenantID int64) *Assistant {
	f, err := h.Catalog.Finder(r.Context(), tenantID)
	if err != nil {
		web.Logger(r.Context()).Error("assistant finder", "err", err)
		return nil
	}
	return &Assistant{Finder: f}
}

// DigitisationRow is one unit's line on the digitisation page.
type DigitisationRow struct {
	Unit     string
	Services int
	Levels   []int // per Levels
	Online   int   // services that can be applied for online
	Volume   int
	// Share is the online share of the case volume in percent ("" when no
	// volume is known).
	Share      string
	WithVolume int
}

// DigitisationPage is the view model of GET /verwaltung/digitalisierung.
type DigitisationPage struct {
	LevelKeys []string
	Rows      []DigitisationRow
	Total     DigitisationRow
}

// staffPrincipal authenticates a staff page. A visitor who is not signed
// in and asks for a page (GET) is sent to the login, which brings them
// back (as identity's own pages do); done is then true.
func (h *Handler) staffPrincipal(w http.ResponseWriter, r *http.Request) (p identity.Principal, t *identity.Tenant, done bool, err error) {
	p, t, err = h.Identity.PrincipalFrom(r)
	if errors.Is(err, web.ErrUnauthorized) && r.Method == http.MethodGet {
		to := url.Values{"return_to": {web.LocalPath(r.URL)}}
		if l := r.URL.Query().Get("lang"); l != "" {
			to.Set("lang", l) // the login in the language asked for
		}
		http.Redirect(w, r, "/anmelden?"+to.Encode(), http.StatusSeeOther)
		return p, t, true, nil
	}
	return p, t, false, err
}

func (h *Handler) handleDigitisation(w http.ResponseWriter, r *http.Request) error {
	p, t, done, err := h.staffPrincipal(w, r)
	if done || err != nil {
		return err
	}
	d, err := h.Catalog.Digitisation(r.Context(), p, t.ID)
	if err != nil {
		return err
	}
	row := func(u UnitDegree) DigitisationRow {
		dr := DigitisationRow{Unit: u.Unit, Services: u.Services, Volume: u.Volume, WithVolume: u.WithVolume}
		for _, l := range Levels {
			dr.Levels = append(dr.Levels, u.ByLevel[l])
			if l.Online() {
				dr.Online += u.ByLevel[l]
			}
		}
		if u.OnlineShare != nil {
			dr.Share = strconv.FormatFloat(*u.OnlineShare*100, 'f', 0, 64)
		}
		return dr
	}
	v := DigitisationPage{Total: row(d.Total)}
	for _, l := range Levels {
		v.LevelKeys = append(v.LevelKeys, availabilityKey(l))
	}
	for _, u := range d.Units {
		v.Rows = append(v.Rows, row(u))
	}
	return h.Pages.Render(w, r, http.StatusOK, "catalog_digitisation", h.shell(r, web.AreaStaff), v)
}
