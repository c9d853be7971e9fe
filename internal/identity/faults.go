package identity

// FaultCodes are the validation codes identity's use cases return (see
// platform/fault). Each has its sentence under "fault.CODE" in the catalogs:
// the generic ones in the platform's, identity's own (invalid_bic,
// invalid_leitweg_id, leitweg_coarse_taken, set_by_operator,
// invalid_oidc_provider, invalid_slug, invalid_host, own_admin_role) in
// messages/*.json. A test checks both languages.
var FaultCodes = []string{
	"required", "invalid", "too_long", "too_short", "invalid_email", "invalid_phone", "invalid_postcode", "invalid_date",
	"date_in_future", "invalid_choice", "duplicate", "unknown", "invalid_iban", "invalid_bic", "invalid_leitweg_id",
	"leitweg_coarse_taken", "set_by_operator",
	"invalid_oidc_provider", "invalid_slug", "invalid_host", "own_admin_role", "invalid_totp", "invalid_url",
}
