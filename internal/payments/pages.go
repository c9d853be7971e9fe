package payments

import (
	"embed"
	"io/fs"

	"github.com/rathaus/rathaus/internal/platform/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// Pages are the payments page templates (templates/NAME.html).
var Pages = []string{"payments_notice", "payments_online", "payments_demo", "payments_mine", "payments_finance", "payments_statements",
	"payments_tasks", "payments_task", "payments_mandates", "payments_fees"}

// AddTemplates parses the payments pages into the renderer.
func AddTemplates(r *web.Renderer) error {
	for _, name := range Pages {
		if err := r.Add(name, templateFS, "templates/"+name+".html"); err != nil {
			return err
		}
	}
	return nil
}

// Messages are the payments message files (de.json, en.json).
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}
