package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/rathaus/rathaus/"

// allowedDomainImports is the documented, acyclic graph of which domain may
// call which other domain's exported services (docs/architecture.md).
// Everything not listed is forbidden.
var allowedDomainImports = map[string][]string{
	"audit":        {},
	"identity":     {"audit"},
	"catalog":      {"audit", "identity"},
	"einvoice":     {"audit", "identity", "payments"},
	"forms":        {"audit", "identity", "catalog"},
	"cases":        {"audit", "identity", "catalog", "forms", "mailbox", "records", "payments"},
	"mailbox":      {"audit", "identity"},
	"records":      {"audit", "identity"},
	"payments":     {"audit", "identity", "catalog"},
	"mailroom":     {"audit", "identity"},
	"kpi":          {"audit", "identity"},
	"appointments": {"audit", "identity", "catalog"},
	"feedback":     {"identity"},
	"operations":   {"audit", "identity"},
}

// tableOwners says which package owns (reads and writes) each table. One
// line per owner and module (several lines of one owner are fine: modules
// add their own lines, so parallel work merges without conflicts); a table
// claimed by two owners fails TestTableOwnersUnique.
var tableOwnerLines = []struct{ owner, tables string }{
	{"identity", "tenants tenant_hosts accounts account_roles api_tokens sessions login_attempts account_tokens units unit_members oidc_logins external_identities passkeys passkey_ceremonies login_devices api_tokens_new account_tokens_new substitutes absences"},
	{"audit", "audit_events audit_heads"},
	{"platform/jobs", "jobs"},
	{"platform/blob", "blobs blob_refs"},
	{"platform/ratelimit", "rate_limits"},
	{"feedback", "accessibility_feedback"},
	{"forms", "forms form_versions applications application_files form_drafts form_draft_links prefill_consents"},
	{"forms", "form_pow_keys"},
	{"catalog", "catalog_revisions services service_versions search_misses"},
	{"appointments", "appointment_locations appointment_days appointment_seats appointment_claims appointment_bookings appointment_tickets appointment_lottery_entries appointment_waitlist appointment_pow_spent appointment_keys"},
	{"cases", "workflows responsibilities cases case_events case_documents information_requests decisions"},
	{"mailbox", "mailbox_messages mailbox_documents delivery_consents print_jobs mailbox_links"},
	{"records", "record_files record_documents"},
	{"payments", "payment_settings payment_requests bank_statements statement_entries payments_received finance_tasks expected_debits provider_payments provider_events refunds sepa_mandates"},
	{"einvoice", "einvoice_invoices einvoice_steps einvoice_routes einvoice_payment_runs einvoice_payments einvoice_mails"},
}

var tableOwners = func() map[string]string {
	m := map[string]string{}
	for _, l := range tableOwnerLines {
		for _, t := range strings.Fields(l.tables) {
			if o, ok := m[t]; ok && o != l.owner {
				m[t] = "CONFLICT: " + o + " and " + l.owner
				continue
			}
			m[t] = l.owner
		}
	}
	return m
}()

func TestTableOwnersUnique(t *testing.T) {
	for table, owner := range tableOwners {
		if strings.HasPrefix(owner, "CONFLICT") {
			t.Errorf("table %s: %s", table, owner)
		}
	}
}

type pkgImports struct {
	dir     string // relative to internal/, e.g. "platform/web" or "identity"
	imports map[string]bool
	files   []string
}

func repoRoot(t *testing.T) string {
	wd, _ := os.Getwd()
	return filepath.Dir(filepath.Dir(wd))
}

func scanPackages(t *testing.T) map[string]*pkgImports {
	t.Helper()
	root := filepath.Join(repoRoot(t), "internal")
	pkgs := map[string]*pkgImports{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pk := pkgs[rel]
		if pk == nil {
			pk = &pkgImports{dir: rel, imports: map[string]bool{}}
			pkgs[rel] = pk
		}
		pk.files = append(pk.files, p)
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			if strings.HasPrefix(path, module+"internal/") {
				pk.imports[strings.TrimPrefix(path, module+"internal/")] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// under reports whether package dir is root or inside it, comparing whole
// path elements: internal/appointments is not under internal/app.
func under(dir, root string) bool {
	dir = filepath.ToSlash(dir)
	return dir == root || strings.HasPrefix(dir, root+"/")
}

func TestUnderComparesPathElements(t *testing.T) {
	for _, tt := range []struct {
		dir, root string
		want      bool
	}{{"app", "app", true}, {"app/x", "app", true}, {"appointments", "app", false}, {"platform/web", "platform", true}, {"platformer", "platform", false}} {
		if got := under(tt.dir, tt.root); got != tt.want {
			t.Errorf("under(%q, %q) = %v", tt.dir, tt.root, got)
		}
	}
	if domainOf("appointments") != "appointments" || domainOf("app") != "" || domainOf("catalog/search") != "catalog" {
		t.Error("domainOf does not compare whole path elements")
	}
}

// domainOf returns the top-level domain of an internal package dir, or "".
func domainOf(dir string) string {
	top := strings.Split(dir, string(filepath.Separator))[0]
	if top == "platform" || top == "app" {
		return ""
	}
	return top
}

func TestImportRules(t *testing.T) {
	pkgs := scanPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages; is the test looking in the right place?", len(pkgs))
	}
	for dir, pk := range pkgs {
		for im := range pk.imports {
			imDomain := domainOf(im)
			switch {
			case under(im, "app"):
				if !under(dir, "app") {
					t.Errorf("%s imports internal/app: only cmd/rathaus may", dir)
				}
			case under(dir, "platform"):
				if imDomain != "" {
					t.Errorf("platform package %s imports domain %s: platform never imports a domain", dir, im)
				}
			case domainOf(dir) != "" && imDomain != "" && imDomain != domainOf(dir):
				d := domainOf(dir)
				allowed, known := allowedDomainImports[d]
				if !known {
					t.Errorf("domain %s is not in the documented import graph (allowedDomainImports)", d)
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || a == imDomain
				}
				if !ok {
					t.Errorf("%s imports %s: not in the documented graph (%s may import %v)", dir, im, d, allowed)
				}
			}
		}
	}
}

func TestDocumentedGraphIsAcyclic(t *testing.T) {
	state := map[string]int{}
	var visit func(string, []string)
	visit = func(n string, path []string) {
		switch state[n] {
		case 1:
			t.Fatalf("cycle in allowedDomainImports: %v", append(path, n))
		case 2:
			return
		}
		state[n] = 1
		for _, m := range allowedDomainImports[n] {
			visit(m, append(path, n))
		}
		state[n] = 2
	}
	names := make([]string, 0, len(allowedDomainImports))
	for n := range allowedDomainImports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		visit(n, nil)
	}
}

var tableRef = regexp.MustCompile(`(?i)\b(?:FROM|INTO|UPDATE|JOIN)\s+([a-z_][a-z0-9_]*)`)

// TestTablesReadOnlyByTheirOwner: a package's SQL names only tables it owns.
// Only string literals are read (SQL lives there), not comments or names.
func TestTablesReadOnlyByTheirOwner(t *testing.T) {
	fset := token.NewFileSet()
	for dir, pk := range scanPackages(t) {
		if under(dir, "app") || dir == "platform/backup" || dir == "platform/database" || dir == "platform/dbtest" {
			continue // the composition root and generic tools see every table
		}
		for _, f := range pk.files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				for _, m := range tableRef.FindAllStringSubmatch(lit.Value, -1) {
					table := strings.ToLower(m[1])
					owner, known := tableOwners[table]
					if known && owner != dir && owner != domainOf(dir) {
						t.Errorf("%s: SQL uses table %s owned by %s", fset.Position(lit.Pos()), table, owner)
					}
				}
				return true
			})
		}
	}
}

var createTable = regexp.MustCompile(`(?i)CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_][a-z0-9_]*)`)

// TestEveryTableHasAnOwner keeps tableOwners complete: each table created by
// a migration (of either dialect) is owned by exactly one package.
func TestEveryTableHasAnOwner(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		dir := filepath.Join(repoRoot(t), "internal", "platform", "database", "migrations", dialect)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			src, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			for _, m := range createTable.FindAllStringSubmatch(string(src), -1) {
				if _, ok := tableOwners[strings.ToLower(m[1])]; !ok {
					t.Errorf("%s/%s creates table %s with no owner in tableOwners", dialect, e.Name(), m[1])
				}
			}
		}
	}
}
