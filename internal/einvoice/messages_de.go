package einvoice

// germanText explains the most frequent rules of the development data in
// plain German for the clerks who receive the invoice; the official message
// stays in Message.Text. The list follows the rule frequencies of the
// official test data (mutants, test suites, ZUGFeRD corpus).
var germanText = map[string]string{
	"BR-DE-TMP-32":        "Das Liefer- oder Leistungsdatum fehlt: Bitte ein tatsächliches Lieferdatum (BT-72), einen Rechnungszeitraum (BG-14) oder in jeder Position einen Leistungszeitraum (BG-26) angeben.",
	"UBL-SR-53":           "Beim Steuerschema (PartyTaxScheme) fehlt die Umsatzsteuer-Identifikationsnummer (CompanyID).",
	"PEPPOL-EN16931-R120": "Der Nettobetrag einer Rechnungsposition passt nicht zu Menge × Preis zuzüglich Zuschlägen und abzüglich Nachlässen der Position.",
	"CII-SR-465":          "Der Ansprechpartner des Verkäufers (BT-41) darf nur einmal angegeben werden.",
	"CII-SR-466":          "Der Ansprechpartner des Käufers (BT-56) darf nur einmal angegeben werden.",
	"CII-SR-461":          "Das Datum der Steuerfälligkeit (TaxPointDate) darf nur einmal angegeben werden.",
	"PEPPOL-EN16931-R040": "Der Betrag eines Nachlasses oder Zuschlags muss Grundbetrag × Prozentsatz / 100 entsprechen.",
	"BR-DE-16":            "Bei Steuerkategorien wie S, Z, E, AE, K, G, L oder M muss die Umsatzsteuer-ID oder Steuernummer des Verkäufers oder ein Steuervertreter angegeben sein.",
	"BR-S-08":             "Für den Normalsteuersatz stimmt der Betrag der Umsatzsteueraufschlüsselung nicht mit der Summe der betroffenen Positionen, Nachlässe und Zuschläge überein.",
	"PEPPOL-EN16931-R008": "Die Rechnung enthält leere Elemente; leere Elemente sind nicht erlaubt.",
	"BR-CO-10":            "Die Summe der Positionsnettobeträge (BT-106) stimmt nicht mit der Summe der einzelnen Positionen überein.",
	"BR-CL-13":            "Die Kennung des Klassifikationsschemas eines Artikels ist kein Code der Liste UNTDID 7143.",
	"BR-DE-28":            "Die E-Mail-Adresse des Verkäufer-Ansprechpartners (BT-43) hat kein gültiges Format.",
	"UBL-CR-470":          "Eine UBL-Rechnung soll keine Vorauszahlung (PrepaidPayment) enthalten.",
	"BR-DE-18":            "Die Skonto-Angaben in den Zahlungsbedingungen (BT-20) entsprechen nicht dem vorgeschriebenen Format #SKONTO#TAGE=n#PROZENT=n.nn#.",
	"BR-CO-12":            "Die Summe der Zuschläge auf Dokumentebene (BT-108) stimmt nicht mit den einzelnen Zuschlägen überein.",
	"BR-CO-11":            "Die Summe der Nachlässe auf Dokumentebene (BT-107) stimmt nicht mit den einzelnen Nachlässen überein.",
	"BR-CO-16":            "Der fällige Betrag (BT-115) muss Gesamtbetrag mit Umsatzsteuer minus gezahltem Betrag plus Rundungsbetrag entsprechen.",
	"BR-DEX-09":           "Der fällige Betrag (BT-115) muss Gesamtbetrag minus gezahltem Betrag plus Rundungsbetrag plus Zahlungen Dritter entsprechen.",
	"BR-S-02":             "Bei Positionen mit Normalsteuersatz muss die Umsatzsteuer-ID oder Steuernummer des Verkäufers oder ein Steuervertreter angegeben sein.",
	"UBL-CR-646":          "Unterpositionen (SubInvoiceLine) sind in diesem Szenario nicht erlaubt.",
	"BR-O-08":             "Bei „nicht steuerbar“ muss der steuerpflichtige Betrag der Aufschlüsselung der Summe der betroffenen Positionen, Nachlässe und Zuschläge entsprechen.",
	"BR-O-12":             "Eine Rechnung mit der Kategorie „nicht steuerbar“ darf keine Positionen mit einer anderen Steuerkategorie enthalten.",
	"BR-DE-23-b":          "Bei Überweisung dürfen keine Angaben zu Kartenzahlung oder Lastschrift gemacht werden.",
	"BR-DE-30":            "Bei Lastschrift muss die Gläubiger-Identifikationsnummer (BT-90) angegeben sein.",
	"BR-CL-20":            "Der Grund eines Zuschlags ist kein Code der Liste UNCL 7161.",
	"BR-CL-01":            "Die Rechnungsart (BT-3) ist kein zulässiger Code der Liste UNTDID 1001.",
	"BR-DE-15":            "Die Leitweg-ID bzw. Käuferreferenz (BT-10) fehlt.",
	"BR-DE-1":             "Die Zahlungsanweisungen (BG-16) fehlen.",

	// Reasons of the pipeline itself.
	"NO-SCENARIO":         "Das Dokument ist keine XRechnung und keine Rechnung nach EN 16931 (unbekannte Spezifikationskennung oder Dokumentart) und wird daher abgelehnt.",
	"PROFILE-NOT-EN16931": "ZUGFeRD/Factur-X im Profil MINIMUM oder BASIC WL ist keine vollständige Rechnung nach EN 16931 und kann nicht als E-Rechnung angenommen werden.",
}
