package schematron

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/rathaus/rathaus/internal/einvoice/xpath"
)

const testSchema = `<?xml version="1.0"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron" xmlns:f="urn:f" queryBinding="xslt2">
  <ns prefix="t" uri="urn:t"/>
  <ns prefix="f" uri="urn:f"/>
  <let name="limit" value="xs:decimal('10')"/>
  <function xmlns="http://www.w3.org/1999/XSL/Transform" name="f:double" as="xs:decimal">
    <param name="v" as="xs:decimal"/>
    <variable name="two" select="2"/>
    <sequence select="$v * $two"/>
  </function>
  <function xmlns="http://www.w3.org/1999/XSL/Transform" name="f:sign" as="xs:string">
    <param name="v" as="xs:decimal"/>
    <choose>
      <when test="$v &lt; 0"><sequence select="'neg'"/></when>
      <otherwise><sequence select="'pos'"/></otherwise>
    </choose>
  </function>
  <include href="common.sch"/>
  <pattern id="p1">
    <rule context="t:item[@special]">
      <assert id="SPECIAL" flag="warning" test="false()">special <name/> <value-of select="@special"/></assert>
    </rule>
    <rule context="t:item">
      <let name="d" value="f:double(t:amount)"/>
      <assert id="LIMIT" flag="fatal" test="$d &lt;= $limit">too much: <value-of select="$d"/></assert>
      <report id="NEG" test="f:sign(t:amount) = 'neg'">negative</report>
    </rule>
  </pattern>
  <pattern id="p2">
    <rule context="t:item">
      <assert id="ANY" test="$prefix = 'x'">every item</assert>
    </rule>
  </pattern>
</schema>`

const common = `<pattern xmlns="http://purl.oclc.org/dsdl/schematron" id="vars">
  <let name="prefix" value="'y'"/>
</pattern>`

func TestRun(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/s.sch":      {Data: []byte(testSchema)},
		"rules/common.sch": {Data: []byte(common)},
	}
	s, err := Load(fsys, "rules/s.sch")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xpath.Parse([]byte(`<r xmlns="urn:t">
  <item special="yes"><amount>100</amount></item>
  <item><amount>6</amount></item>
  <item><amount>-1</amount></item>
</r>`), xpath.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Run(doc)
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	type firing struct{ ID, Flag, Where, Text string }
	var got []firing
	for _, f := range res.Firings {
		got = append(got, firing{f.Check.ID, f.Check.Flag, f.Node.Path(), f.Text})
	}
	want := []firing{
		// p1: the first matching rule handles a node, so the special item
		// is not checked against LIMIT.
		{"SPECIAL", "warning", "/r[1]/item[1]", "special item yes"},
		{"LIMIT", "fatal", "/r[1]/item[2]", "too much: 12"},
		{"NEG", "error", "/r[1]/item[3]", "negative"},
		// p2 sees every item again; $prefix comes from the included file.
		{"ANY", "error", "/r[1]/item[1]", "every item"},
		{"ANY", "error", "/r[1]/item[2]", "every item"},
		{"ANY", "error", "/r[1]/item[3]", "every item"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
}

func TestRunError(t *testing.T) {
	fsys := fstest.MapFS{"s.sch": {Data: []byte(`<schema xmlns="http://purl.oclc.org/dsdl/schematron">
  <pattern><rule context="a"><assert id="X" test="xs:decimal(.) > 0">x</assert></rule></pattern>
</schema>`)}}
	s, err := Load(fsys, "s.sch")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xpath.Parse([]byte(`<a>abc</a>`), xpath.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res := s.Run(doc); len(res.Errors) != 1 || len(res.Firings) != 0 {
		t.Errorf("Run = %+v, want one dynamic error and no firing", res)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, src := range map[string]string{
		"not schematron":  `<a/>`,
		"bad test":        `<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="a"><assert test="1 +">x</assert></rule></pattern></schema>`,
		"bad context":     `<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="[">x</rule></pattern></schema>`,
		"missing include": `<schema xmlns="http://purl.oclc.org/dsdl/schematron"><include href="nope.sch"/></schema>`,
	} {
		if _, err := Load(fstest.MapFS{"s.sch": {Data: []byte(src)}}, "s.sch"); err == nil {
			t.Errorf("%s: Load succeeded, want an error", name)
		}
	}
}
