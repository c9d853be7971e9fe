package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDecodeJSONIsStrict: what encoding/json would let pass silently is a
// 400 naming the problem and where it is.
func TestDecodeJSONIsStrict(t *testing.T) {
	type fee struct {
		Amount string `json:"amount"`
	}
	type doc struct {
		Name string `json:"name"`
		Fees []fee  `json:"fees"`
		Note string `json:"note"`
	}
	for _, tt := range []struct {
		name, body, want string // want: substring of the error; "" = accepted
	}{
		{"valid", `{"name":"Hundesteuer","fees":[{"amount":"30.50"}],"note":"Zeile 1\nZeile 2\tmit Tab"}`, ""},
		{"duplicate key", `{"name":"a","name":"b"}`, `duplicate key "name" at $`},
		{"duplicate nested key", `{"fees":[{"amount":"1"},{"amount":"2","amount":"3"}]}`, `duplicate key "amount" at $.fees[1]`},
		{"invalid UTF-8", "{\"name\":\"M\xfcnchen\"}", "not valid UTF-8 (at byte 10)"},
		{"escaped NUL", `{"name":"a\u0000b"}`, "control character U+0000 in a string at $.name"},
		{"escaped escape", `{"note":"\u001b[31mrot"}`, "control character U+001B in a string at $.note"},
		{"C1 control", `{"note":"a\u0085b"}`, "control character U+0085"},
		{"control in key", `{"na\u0001me":"x"}`, "control character U+0001 in a string at $"},
		{"unknown field", `{"name":"x","extra":1}`, `unknown field "extra"`},
		{"trailing data", `{"name":"x"} {"name":"y"}`, "trailing data"},
		{"syntax error", `{"name":`, "not valid JSON"},
		{"wrong type", `{"name":5}`, `field "name" has the wrong type`},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested deeper than 64 levels"},
	} {
		r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var d doc
		err := DecodeJSON(r, &d)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want a bad request with %q", tt.name, err, tt.want)
		}
	}
	// Through the adapter: 400 problem+json whose detail names the problem.
	rt := NewRouter(nil)
	rt.API(Operation{Method: "POST", Path: "/api/v1/x", ID: "x", Tag: "t"}, func(w http.ResponseWriter, r *http.Request) error {
		var d doc
		return DecodeJSON(r, &d)
	})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"name":"a","name":"b"}`))
	rt.ServeHTTP(w, r)
	if w.Code != 400 || w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), `duplicate key \"name\" at $`) {
		t.Errorf("problem: %d %s", w.Code, w.Body)
	}
}

func FuzzCheckJSON(f *testing.F) {
	f.Add(`{"a":[1,{"b":"c"}],"d":"\u00e4"}`)
	f.Add(`{"a":1,"a":2}`)
	f.Add("[\"\xff\"]")
	f.Fuzz(func(t *testing.T, in string) {
		_ = CheckJSON([]byte(in))
	})
}
