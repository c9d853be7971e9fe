// Package catalog is the service catalog of a municipality and the finder
// that leads citizens to a service in their own words.
//
// # What it is
//
// A Service (Leistung) is something the city does on request: issue an ID
// card, register a dog. Each service carries its federal LeiKa key(s), a
// plain-language summary and description, fees, legal basis, online
// availability, whether appointments can be booked, the responsible units
// and offices, target groups, yearly case volume, life situations and
// topics. The pure core holds types, validation, imports and export, the
// in-memory Finder (over the search engine in package catalog/search,
// which does all text analysis and ranking), the Assistant dialogue and
// the CLI functions. On top of
// it, Catalog stores every tenant's services (store.go, usecases.go) and
// Handler serves the JSON API and the pages: the finder (/leistungen), the
// service page (/leistungen/{id}, with microdata for search engines and
// offices narrowed by postcode), the assistant (/assistent), the staff
// edit form (/verwaltung/leistungen/{id}) and the digitisation degree
// (/verwaltung/digitalisierung).
//
// # Lifecycle
//
// Services enter through an Importer — the Munich services JSON
// (MunichImporter, with offices from ParseMunichLocations), the federal
// LeiKa list (LeikaImporter, LoadLeika), our own exchange format
// (JSONImporter; Export writes it) and later XZuFi — or are edited by
// staff. DemoCatalog assembles the demo city's catalog from embedded data
// (credit "Landeshauptstadt München", see data/SOURCE.md). A Finder is
// built from a []Service with NewFinder and is immutable; when the catalog
// changes, a new Finder is built (about 0.4 s for 5,500 services) and
// swapped in; Index does the swap atomically.
//
// Stored, a service is a row of table services: its JSON document plus the
// columns looked up and reported on (reference, source, external id, name,
// LeiKa keys, online availability, first unit, case volume). Imports
// (Catalog.Import, one transaction per file) create services or update
// them, matched by reference or else by source and external id; staff
// edits (Catalog.Update) replace one service. Every change that alters a
// document keeps the full previous document in service_versions (who
// replaced it, when, by edit or import), appends an audit event and bumps
// the tenant's row in catalog_revisions, all in the same transaction.
// Catalog keeps one Finder per tenant, built lazily from the stored
// services; each search reads the tenant's revision (one primary-key read)
// and rebuilds when it changed, so several processes serving one database
// follow each other's changes.
//
// # Invariants
//
//   - ID is a public reference "L-XXXX-XXXX" derived from source and
//     external id (Ref): stable across re-imports, never a sequence number.
//   - ExternalID is the id in the source (the Munich id, the LeiKa key for
//     LeiKa-only entries and for the demo city's own services; empty for
//     LeiKa rows marked "nicht im LeiKa").
//   - LeikaKeys is never nil and holds only 14-digit keys; a service may
//     have none.
//   - Name is not empty; Availability is one of the four levels; fees are
//     decimals, never negative, a range has min ≤ max (Service.Validate).
//   - Description is plain text; DescriptionHTML contains only allow-listed
//     tags and http(s) links and may be rendered as trusted HTML.
//   - Munich's "public" flag only says whether online booking exists; it
//     becomes Bookable and never hides a service from the finder.
//   - An import never yields half a file: input that cannot be parsed is an
//     *ImportError (line and reason) and no services; invalid entries are
//     skipped and listed (Skipped), or abort the import in Strict mode.
//   - Find never fails or panics: empty, overlong (cut at MaxQueryBytes),
//     hostile (SQL, full-text syntax, HTML) or unknown queries give an empty
//     or ordinary result; at most MaxLimit hits, scores in [0,1], best first.
//   - Federal entries (source "leika") whose LeiKa key one of the
//     tenant's own services carries are not imported and not indexed; the
//     tenant's own service ranks above federal entries of the same LeiKa
//     object.
//   - Missed searches are kept as words only (MissWords: no numbers, at
//     most eight words), per tenant and month, and shown from
//     MinMissSearches searches on; counting never blocks a search and
//     never touches a rate limit.
//   - The Assistant is pure: all dialogue state travels in AssistantState
//     (a hidden form field via Encode), it asks at most two questions and
//     uses no external AI service.
//
// # Who may do what
//
// Everyone, without an account or token, may search the catalog, read
// services and use the assistant. Form managers and admins of the tenant
// edit services, import catalogs, read the missed searches and add
// citizens' phrases to services (the CLI acts as the tenant's system
// principal); any staff member reads a service's history; unit heads and
// admins see the digitisation degree, and unit heads enter case volumes
// (a new version like any edit). A principal of another tenant, or
// one without the role, gets "not found" for a service's edit and history,
// so nothing reveals that a reference exists elsewhere.
package catalog
