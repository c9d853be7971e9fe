package forms

import (
	"embed"
	"encoding/json"
	"io/fs"
	"sync"
)

//go:embed messages/*.json
var messageFS embed.FS

// Messages are the catalog files of forms (de.json, en.json) for
// i18n.Catalog.Load: page texts ("forms.*") and the sentences of the
// validation codes forms adds ("fault.*").
func Messages() fs.FS {
	sub, err := fs.Sub(messageFS, "messages")
	if err != nil {
		panic(err)
	}
	return sub
}

// catalog is forms' own messages, for the texts forms renders itself
// (receipt PDFs, mails), where no request's printer is at hand.
var ownMessages = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range []string{"de", "en"} {
		b, err := messageFS.ReadFile("messages/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("forms: messages/" + l + ".json: " + err.Error())
		}
		out[l] = m
	}
	return out
})

// msg returns a message of forms' catalog in lang (German as fallback).
func msg(lang, key string) string {
	c := ownMessages()
	if s, ok := c[lang][key]; ok {
		return s
	}
	if s, ok := c["de"][key]; ok {
		return s
	}
	return key
}
