package forms

import (
	"embed"
	"fmt"
)

//go:embed data/hundesteuer.json data/bewohnerparken.json
var demoFS embed.FS

// DemoForm returns one of the demo city's form definitions: "hundesteuer"
// (dog tax registration) or "bewohnerparken" (resident parking permit).
func DemoForm(name string) (*Definition, error) {
	b, err := demoFS.ReadFile("data/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("demo form %s: %w", name, err)
	}
	return ParseDefinition(b)
}

// DogTaxAnswers returns valid answers for the demo dog tax form (no
// reduction, no direct debit), for tests and load generators: the dog and
// its keeper vary with n.
func DogTaxAnswers(n int) map[string]any {
	return map[string]any{
		"given_name":     "Paul",
		"family_name":    fmt.Sprintf("Beispiel %d", n),
		"birth_date":     "1980-04-23",
		"address":        map[string]any{"street": "Lindenstraße", "house_number": fmt.Sprint(1 + n%200), "postcode": "91052", "city": "Musterstadt"},
		"dog_name":       fmt.Sprintf("Bello %d", n),
		"breed":          "Labrador-Mischling",
		"dog_birth_date": "2022-05-01",
		"kept_since":     "2025-01-15",
		"dangerous":      false,
		"other_dogs":     false,
		"reduction":      "none",
		"direct_debit":   false,
	}
}
