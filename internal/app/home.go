package app

// HomeLink is a module's entry on the home page (below the search box,
// the most used services and the life situations): a local link, its text
// and one sentence, both catalog keys in both languages.
type HomeLink struct {
	Href     string
	TitleKey string
	TextKey  string
}

// homeLinkSets lists each module's home page entries, in the order the
// page shows them. A module (appointments: "Termin buchen") adds one
// function in its own file of this package and one entry here.
var homeLinkSets = []func() []HomeLink{catalogHomeLinks}

func homeLinks() []HomeLink {
	var out []HomeLink
	for _, set := range homeLinkSets {
		out = append(out, set()...)
	}
	return out
}
