// Package rules embeds the official rule specifications the e-invoice
// validator runs, unchanged:
//
//   - cen-1.3.15/: CEN/TC 434 EN 16931 validation artefacts 1.3.15
//     (schematron for UBL and CII, includes resolved), from
//     github.com/ConnectingEurope/eInvoicing-EN16931 tag validation-1.3.15;
//     EUPL-1.2, see cen-1.3.15/LICENSE.txt.
//   - xrechnung-2.5.0/: XRechnung schematron 2.5.0 (XRechnung 3.0.2), from
//     github.com/itplr-kosit/xrechnung-schematron tag v2.5.0; Apache-2.0, see
//     xrechnung-2.5.0/LICENSE.
//   - scenarios.xml: the KoSIT validator configuration for XRechnung,
//     release v2026-01-31, from
//     github.com/itplr-kosit/validator-configuration-xrechnung; Apache-2.0
//     (same licence text as xrechnung-2.5.0/LICENSE), NOTICE: Coordination
//     Office for IT Standards (KoSIT).
package rules

import "embed"

// FS holds the rule files.
//
//go:embed cen-1.3.15 xrechnung-2.5.0 scenarios.xml
var FS embed.FS
