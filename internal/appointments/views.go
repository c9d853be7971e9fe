package appointments

import (
	"embed"
	"io/fs"
)

//go:embed messages/*.json
var messageFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// Messages are the module's message files (de.json, en.json) for
// i18n.Catalog.Load.
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}
