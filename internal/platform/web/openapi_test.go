package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/rathaus/rathaus/internal/platform/fault"
)

// TestOpenAPIDocumentsTheProblemShape: the document describes the one 422
// shape — errors as a list of {field, code, detail} — and the adapter
// writes exactly that shape.
func TestOpenAPIDocumentsTheProblemShape(t *testing.T) {
	rt := NewRouter(nil)
	rt.API(Operation{Method: "POST", Path: "/api/v1/things", ID: "createThing", Tag: "t", Request: map[string]string{"iban": "DE…"}},
		func(w http.ResponseWriter, r *http.Request) error {
			v := fault.Invalid("iban", "invalid_iban")
			v.Add("name", "too_long", "max", 100)
			return v
		})
	b, _ := json.Marshal(rt.OpenAPI("t", "1"))
	var doc struct {
		Paths      map[string]map[string]struct{ Responses map[string]any } `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required   []string                  `json:"required"`
				Properties map[string]map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	prob, fe := doc.Components.Schemas["Problem"], doc.Components.Schemas["FieldError"]
	if prob.Properties["errors"]["type"] != "array" || !slices.Contains(prob.Required, "detail") {
		t.Errorf("Problem schema: %+v", prob)
	}
	for _, f := range []string{"field", "code", "detail"} {
		if !slices.Contains(fe.Required, f) {
			t.Errorf("FieldError does not require %s: %+v", f, fe)
		}
	}
	if _, ok := doc.Paths["/api/v1/things"]["post"].Responses["422"]; !ok {
		t.Errorf("operation with a body documents no 422")
	}

	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/things", nil))
	var p Problem
	json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != 422 || p.Detail == "" || len(p.Errors) != 2 || p.Errors[0].Field != "iban" || p.Errors[0].Code != "invalid_iban" || p.Errors[1].Args["max"] != float64(100) {
		t.Errorf("422 written: %d %s", w.Code, w.Body)
	}
}
