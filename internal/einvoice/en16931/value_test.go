package en16931_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rathaus/rathaus/internal/einvoice/en16931"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"12", "12"},
		{"12.50", "12.50"},
		{" -0.5\n", "-0.5"},
		{"+3.", "3"},
		{".25", "0.25"},
		{"0.000", "0.000"},
		{"1234567890123456789.12", "1234567890123456789.12"},
		{"", ""},
		{"-", ""},
		{".", ""},
		{"1,5", ""},
		{"1e3", ""},
		{"1 000", ""},
		{"EUR 12", ""},
		{"--1", ""},
		{"NaN", ""},
		{"12345678901234567890123456789012345678901234567890123456789012345", ""},
	}
	for _, tt := range tests {
		got, err := en16931.ParseDecimal(tt.in)
		if tt.want == "" {
			if !errors.Is(err, en16931.ErrInvalidValue) {
				t.Errorf("ParseDecimal(%q) = %s, %v; want ErrInvalidValue", tt.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDates(t *testing.T) {
	tests := []struct {
		parse func(string) (en16931.Date, error)
		in    string
		want  string // "" means an error
	}{
		{en16931.ParseISODate, "2024-02-29", "2024-02-29"},
		{en16931.ParseISODate, "2024-02-29Z", "2024-02-29"},
		{en16931.ParseISODate, "2024-02-29+01:00", "2024-02-29"},
		{en16931.ParseISODate, "2023-02-29", ""},
		{en16931.ParseISODate, "2024-13-01", ""},
		{en16931.ParseISODate, "2024-00-10", ""},
		{en16931.ParseISODate, "20240229", ""},
		{en16931.ParseISODate, "2024-02-29T10:00:00", ""},
		{en16931.ParseISODate, "24-02-29", ""},
		{en16931.ParseDate102, "20130410", "2013-04-10"},
		{en16931.ParseDate102, " 20130410 ", "2013-04-10"},
		{en16931.ParseDate102, "2013-04-10", ""},
		{en16931.ParseDate102, "201304", ""},
		{en16931.ParseDate102, "20130431", ""},
		{en16931.ParseDate102, "2013041a", ""},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		if tt.want == "" {
			if !errors.Is(err, en16931.ErrInvalidValue) {
				t.Errorf("parse(%q) = %s, %v; want ErrInvalidValue", tt.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("parse(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	a, _ := en16931.ParseDecimal("1125.00")
	d := en16931.NewDate(2013, 4, 10)
	in := en16931.Totals{Payable: &a}
	type doc struct {
		Date   en16931.Date   `json:"date"`
		Totals en16931.Totals `json:"totals"`
	}
	b, err := json.Marshal(doc{Date: d, Totals: in})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"date":"2013-04-10","totals":{"line_net":null,"without_vat":null,"with_vat":null,"payable":"1125.00"}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Date != d || back.Totals.Payable == nil || back.Totals.Payable.String() != "1125.00" {
		t.Errorf("round trip: %+v", back)
	}
}
