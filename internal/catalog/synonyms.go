package catalog

import (
	"strings"
	"sync"
)

// synonymTable maps the words citizens use — colloquial German, everyday
// paraphrases, common misnomers, English — to the vocabulary of the service
// catalog. It is organised by life situation and written from how people
// ask at a citizen office counter, not from any benchmark.
//
// Each line: "phrase, phrase, … => target; target; …". Phrases may span
// several words; matching is on stems, so inflected forms match too.
// Targets are searched as if the citizen had typed them.
const synonymTable = `
# --- Allgemeine Wörter (Englisch und Umgangssprache) ---
renew, renewal, extend, extension => verlängern; Verlängerung
expired, expire, expires, abgelaufen, läuft ab, ungültig => abgelaufen; neu beantragen
apply, application, apply for => beantragen; Antrag
register, registration, sign up => anmelden; Anmeldung
deregister, cancel registration, unregister => abmelden; Abmeldung
exchange, convert, conversion, swap, transfer => Umschreibung; Umtausch
certificate, certification => Bescheinigung; Urkunde
permit, licence, license => Erlaubnis; Genehmigung
appointment, booking, book => Termin
fee, fees, cost, costs, price, kosten, preis, gebühr => Gebühren
copy, copies => Kopie; Abschrift
replacement, replace, ersatz, duplicate => Ersatz; Zweitschrift
child, children, kid, kids, kiddo => Kind; Kinder
wife, husband, spouse, partner, ehefrau, ehemann, ehegatte => Ehegatte; Ehepartner
car, auto, pkw, wagen, karre, kiste => Fahrzeug; Kfz
motorbike, motorcycle, moped, roller, mofa => Motorrad; Fahrzeug
bike, bicycle, radl, drahtesel => Fahrrad
business, company, firma, laden, geschäft, betrieb => Gewerbe; Unternehmen
job, work, arbeit, arbeiten, beschäftigung => Arbeit; Beschäftigung; Erwerbstätigkeit
study, studying, student, studium, studieren, uni, university => Studium
broken, damaged, kaputt, beschädigt, defekt, unleserlich => Ersatz; beschädigt

# --- Ämter: wer dorthin geht, will meist eines davon ---
!deutscher werden, deutsche werden, deutsch werden => Einbürgerung
!anmeldung, anmeldung termin, anmeldung appointment, anmeldung english, anmeldung munich, the anmeldung => Wohnsitzanmeldung; Wohnsitz anmelden
!abmeldung, abmeldung termin => Wohnsitz abmelden
bürgerbüro, bürgeramt, bürgerservice, einwohnermeldeamt, meldeamt, meldebehörde, citizens office, town hall => Personalausweis; Reisepass; Wohnsitzanmeldung; Meldebescheinigung
zulassungsstelle, kfz stelle, kfz zulassungsstelle, straßenverkehrsamt, strassenverkehrsamt, registration office car => Fahrzeug anmelden; Zulassung; Kennzeichen
führerscheinstelle, fahrerlaubnisbehörde => Führerschein; Fahrerlaubnis
standesamt, registry office => Eheschließung; Urkunde; Sterbeurkunde; Geburt
gewerbeamt, gewerbebehörde => Gewerbe-Anmeldung; Gewerbe
ordnungsamt, kreisverwaltungsreferat => Ordnungswidrigkeit; Erlaubnis

# --- Ausweise und Pässe ---
perso, persi, perso karte, personalausweiss, personalauweis, ausweiss, id karte, id card, identity card, national id, id document, identification card, german id, ausweiskarte, plastikausweis => Personalausweis
ausweis abgelaufen, ausweis verlängern, ausweis erneuern, neuer ausweis, ausweis läuft ab, renew id, id expired => Personalausweis beantragen
ausweis verloren, perso verloren, ausweis weg, ausweis gestohlen, perso geklaut, ausweis geklaut, portemonnaie gestohlen, geldbeutel verloren, geldbörse gestohlen, brieftasche weg, lost id, stolen id, lost wallet => Verlust oder Diebstahl Personalausweis
pass, reisepass, passport, travel passport, reise pass, pass für urlaub, pass für reise, pass beantragen, passbeantragung, reisedokument, travel document => Reisepass
pass verloren, pass gestohlen, pass weg, pass geklaut, lost passport, stolen passport, passport lost => Verlust oder Diebstahl Reisepass
pass abgelaufen, pass verlängern, renew passport, passport renewal, passport expired, new passport => Reisepass beantragen
express pass, expresspass, pass schnell, schnell pass, pass kurzfristig, kurzfristig pass, pass dringend, dringend pass, pass eilig, reisepass schnell, eilpass, notpass, pass sofort, emergency passport, urgent passport, temporary passport => Vorläufiger Reisepass
zweiter pass, zweitpass, pass beim konsulat, pass bei botschaft, pass in botschaft, pass beim visum, pass visumverfahren, second passport, two passports => Zweitpass
kinderpass, kinderreisepass, pass für kind, ausweis für kind, ausweis baby, baby ausweis, pass baby, baby pass, kinderausweis, baby pass, child passport, kids passport => Kinderreisepass; Ausweisdokumente Familie
pin vergessen, pin gesperrt, online ausweis, onlinefunktion, online funktion, eid, e id, ausweis app, ausweisapp, pin brief, pin letter, pin reset, puk => Einschalten eID-Funktion oder Änderung der PIN
ausweis abholen, pass abholen, perso abholen, abholung ausweis, pick up passport, pick up id, collect passport => Abholung Personalausweis, Reisepass oder eID-Karte
aufkleber ausweis, adresse im ausweis, neue adresse ausweis, adressaufkleber, change address on id, address residence permit, change address residence permit, adresse aufenthaltstitel, address on residence card => Adressänderung Personalausweis, Reisepass
ausweis wiedergefunden, pass wiedergefunden, ausweis wieder aufgetaucht, found my id again => Widerruf der Verlust- oder Diebstahlanzeige
passfoto, passbild, biometrisches foto, photo for passport => Personalausweis; Reisepass

# --- Wohnen und Umzug ---
herziehen, hierher ziehen, ziehen her, ziehe her, hergezogen, hierher gezogen, zugezogen, zuziehen, zuzug, neu hergezogen, nach münchen gezogen, nach münchen ziehen, in die stadt ziehen, moving here, moved here, relocate, relocation => Wohnsitzanmeldung; Wohnsitz anmelden
ummelden, ummeldung, umziehen, umzug, umgezogen, neue wohnung, neue adresse, adresse ändern, adressänderung, zugezogen, zuzug, hergezogen, neu in der stadt, wohnung anmelden, wohnort anmelden, anmeldung wohnung, einziehen, eingezogen, meldeadresse, hauptwohnsitz, nebenwohnsitz, zweitwohnsitz, registration of address, register address, address registration, anmeldebestätigung, moved, moving, move house, new flat, new apartment, new address, change of address, register my address, residence registration, anmelden wohnung => Wohnsitzanmeldung; Wohnsitz anmelden
familie anmelden, mit familie umziehen, familie umziehen, familie herziehen, familie ziehen her, kinder anmelden, register family => Wohnsitzanmeldung Familie
wegziehen, wegzug, zurück in die heimat, zurück ins heimatland, gehe zurück, ziehe zurück, zurückziehen, zurückgehen, wohnung aufgeben, wohnung auflösen, ausziehen, ausgezogen, ins ausland ziehen, auswandern, auswanderung, abmeldung, abmelden wohnung, wohnung abmelden, moving abroad, leaving germany, deregister, deregistration, move out, emigrate => Wohnsitz abmelden
meldebestätigung, residence certificate, certificate of registration, registration confirmation, meldebescheinigung english, bestätigung wohne, bestätigung wohnort, bestätigung wohnsitz, nachweis wohnsitz, nachweis wohnort, nachweis wohne, wohnnachweis, wohnsitznachweis, meldezettel, wohnsitzbescheinigung, bescheinigung wohnsitz, aufenthaltsbescheinigung, proof of address, proof of residence, certificate of residence, registration certificate => Meldebescheinigung
adresse herausfinden, adresse rausfinden, adresse rauskriegen, adresse ermitteln, anschrift herausfinden, jemandes adresse, jemanden finden, adresse suchen, anschrift suchen, address of a person, find someone => Melderegisterauskunft
adresse sperren, daten sperren, adresse geheim, adresse nicht rausgeben, adresse nicht weitergeben, adresse nicht herausgeben, adresse rausgegeben, daten nicht weitergeben, adresse schützen, stalker, stalking, gestalkt, verfolgt, bedroht, bedrohung, keine auskunft, block my address, privacy block => Auskunftssperre; Übermittlungssperre
werbung widersprechen, datenweitergabe widersprechen, daten parteien, parteien daten, daten weitergeben, datenweitergabe, parteien werbung, wahlwerbung, kirche daten, bundeswehr post, opt out => Übermittlungssperre
wohngemeinschaft bescheinigung, haushalt bescheinigung, household certificate => Haushaltsbescheinigung
miete zu hoch, mieterhöhung, mietpreis, vergleichsmiete, rent increase, rent too high, rent index => Mietspiegel Mieterhöhungen; Mietberatung
vermieter ärger, mietrecht, mietstreit, mieterberatung, tenant advice, landlord problem => Mietberatung
wohngeld, mietzuschuss, zuschuss miete, housing benefit, rent subsidy => Wohngeld
sozialwohnung, wohnberechtigungsschein, wbs, günstige wohnung, social housing => Wohnberechtigungsschein
obdachlos, wohnungslos, homeless => Wohnungslosigkeit Unterbringung
sperrmüll, müllabfuhr, mülltonne, abfall, bulky waste, rubbish, garbage => Abfallentsorgung Sperrmüll

# --- Heirat, Partnerschaft, Familie ---
heiraten, geheiratet, hochzeit, heirat, trauung, married, getting married, get married, marrying, standesamtlich heiraten, ja sagen, eheschliessung, vermählung, verheiraten, marry, marriage, wedding, get married, civil wedding => Eheschließung; Anmeldung einer Eheschließung
heiraten ausland, ausländischer partner heiraten, partner aus dem ausland, im ausland heiraten, marry a foreigner, international marriage, foreign spouse wedding => Anmeldung einer Eheschließung mit Auslandsbezug; Erstauskunft Eheschließung Auslandsbezug
ehefähigkeitszeugnis, certificate of no impediment => Eheschließung Auslandsbezug
eingetragene partnerschaft, lebenspartnerschaft, gleichgeschlechtlich heiraten, ehe für alle, civil partnership, same sex marriage => Eheschließung
scheidung, scheiden lassen, trennung, getrennt, divorce, separation => Scheidung; Namensänderung
name ändern, nachname ändern, namen ändern, neuer name, heiße anders, heisse anders, heiße jetzt, neuer nachname, name nach hochzeit, name nach heirat, nachname nach hochzeit, mädchenname, geburtsname annehmen, name change, change my name, change surname => Namensänderung; Änderung der Personendaten
vorname reihenfolge, rufname ändern, vornamen tauschen, order of first names => Erklärung zur Reihenfolge der Vornamen
geschlecht ändern, geschlechtseintrag, geschlecht pass, geschlecht ausweis, geschlecht pass ändern, trans, transgender, nicht binär, divers, selbstbestimmung, gender change, change gender => Anpassung des Geschlechtseintrags und Vornamens Selbstbestimmungsgesetz
baby, geburt, kind bekommen, kind geboren, neugeborenes, nachwuchs, entbindung, birth, newborn, birth certificate, had a baby => Geburt; Geburtsurkunde; Geburtsbeurkundung
vater werden, vaterschaft, vaterschaft anerkennen, nicht verheiratet kind, unverheiratet vater, paternity, acknowledge paternity, unmarried father => Vaterschaftsanerkennung
sorgerecht, gemeinsames sorgerecht, sorgeerklärung, custody, joint custody => Sorgeerklärung; Vaterschaftsanerkennung
unterhalt, kindesunterhalt, unterhaltstitel, alimente, child support, maintenance => Beurkundung von Unterhaltsansprüchen
kita, kitaplatz, kindergarten, krippe, tagesmutter, kinderbetreuung, betreuungsplatz, daycare, nursery, childcare, kindergarten place => Elternberatung zur Kinderbetreuung; Kinderbetreuung
kindergeld, child benefit => Kindergeld
elterngeld, elternzeit, parental allowance, parental leave => Elterngeld
adoption, adoptieren, pflegekind, adopt, foster child => Adoption
urkunde, urkunden bestellen, geburtsurkunde, heiratsurkunde, eheurkunde, abstammungsurkunde, certificate copy, marriage certificate => Urkundenbestellung; Urkundenabholung
familienstammbuch, stammbuch => Urkundenbestellung

# --- Tod und Trauer ---
gestorben, verstorben, tod, todesfall, sterbefall, jemand ist gestorben, angehöriger gestorben, todesurkunde, sterbeurkunde, beerdigung, bestattung, beisetzung, death, death certificate, someone died, funeral => Sterbeurkunde; Sterbefall
witwenrente, witwerrente, waisenrente, rente nach tod, rente vom verstorbenen, widow pension, survivor pension => Hinterbliebenenrente

# --- Auto, Verkehr, Führerschein ---
handwerker parken, parken handwerker, handwerkerparkausweis, baustelle parken, monteur parken => Parkausweis für Handwerksbetriebe
pflegedienst parken, sozialdienst parken, hauspflege parken => Parkausweis für Soziale Dienste
vertreter parken, handelsvertreter parken => Parkausweis für Handelsvertretungen
lieferant parken, anlieger parken, geschäft parken => Parkausweis für gewerbliche Anlieger
fahrschule eröffnen, fahrschule gründen => Fahrschulerlaubnis
fahrlehrer werden, fahrlehrer => Fahrlehrerlaubnis
spedition, transportunternehmen, güterverkehr, lkw transport, trucking, haulage => Güterkraftverkehr Gemeinschaftslizenz
chauffeur, limousinenservice, fahrdienst, mietwagen mit fahrer => Mietwagengenehmigung
tuning, anhängerkupplung eintragen, umbau eintragen, felgen eintragen, auto umgebaut => Eintrag technischer Änderungen in Fahrzeugpapiere
zwei autos ein kennzeichen, kennzeichen zwei autos, kennzeichen zwei fahrzeuge, zwei fahrzeuge ein kennzeichen, wechselkennzeichen => Wechselkennzeichen
rotes kennzeichen, händlerkennzeichen, 07 kennzeichen, 06 kennzeichen, dealer plates => Rotes Dauerkennzeichen
elektroauto kennzeichen, e kennzeichen, e auto anmelden, electric car => Anmeldung fabrikneues Fahrzeug; E-Kennzeichen
wiederzulassung, auto wieder anmelden, wieder anmelden, nach abmeldung wieder anmelden, stillgelegtes auto anmelden => Erneute Anmeldung eines Fahrzeugs
lkw führerschein, c führerschein, bus führerschein, berufskraftfahrer, truck licence => Verlängerung befristeter Führerschein-Klassen; Fahrerqualifizierungsnachweis
führerschein abholen, führerschein ist fertig => Abholung von Führerscheinen
alter papierführerschein, karteikarte führerschein, führerscheindaten => Karteikartenabschrift der Führerscheindaten
krankenwagen fahren, rettungsdienst fahrer, ambulance driver => Personenbeförderungsschein für Krankenwagen
internationaler fahrzeugschein, international vehicle registration => Internationaler Fahrzeugschein
halterbestätigung, datenbestätigung, bestätigung halter => Halter- und Datenbestätigung für Kraftfahrzeuge
auto anmelden, auto zulassen, autozulassung, kfz zulassung, zulassung, zulassen, wagen anmelden, neues auto, neuwagen, gebrauchtwagen, auto gekauft, motorrad anmelden, roller anmelden, car registration, register car, register a car, register vehicle, vehicle registration, new car, bought a car => Fahrzeug anmelden; Zulassung; Umschreibung Fahrzeug
gebrauchtwagen gekauft, auto umschreiben, auto ummelden, kfz ummelden, fahrzeug ummelden, pkw ummelden, motorrad ummelden, wagen ummelden, kennzeichen ummelden, car re registration, halterwechsel, auto übernehmen, used car, change owner car, transfer car => Umschreibung Fahrzeug
auto abmelden, kfz abmelden, auto stilllegen, auto verkauft, auto verschrottet, verschrottung, deregister car, sell car, scrap car => Fahrzeug abmelden
nummernschild, autonummer, kennzeichen, wunschkennzeichen, schild, kfz schild, licence plate, license plate, number plate, plates => Kennzeichen; Wunschkennzeichen
nummernschild geklaut, kennzeichen gestohlen, kennzeichen abgeschraubt, nummernschild abgeschraubt, kennzeichen geklaut, schild verloren, stolen plates, lost plate => Verlust oder Diebstahl der Kennzeichenschilder
teil 1, teil eins, fahrzeugschein, kfz schein, kfzschein, fahrzeugpapiere, autopapiere, zulassungsbescheinigung, vehicle registration certificate, car papers, registration document => Zulassungsbescheinigung Teil I; Fahrzeugpapiere
teil 2, teil zwei, teil ii, fahrzeugbrief, kfz brief, kfzbrief, title of car, vehicle title => Zulassungsbescheinigung Teil II
oldtimer, h kennzeichen, classic car, vintage car => Historisches Kennzeichen für Oldtimer
saisonkennzeichen, cabrio, motorrad saison, motorrad sommer, sommer anmelden, winter abmelden, nur sommer fahren, seasonal plate => Saisonkennzeichen
überführung, kurzzeitkennzeichen, überführungskennzeichen, 5 tage kennzeichen, temporary plate, temporary plates, temporary registration, temporary number plate, transfer plates => Kurzzeitkennzeichen
export auto, auto ausführen, ausfuhr, export car, car export => Ausfuhrkennzeichen
auto aus dem ausland, auto ausland, importauto, importiert, importieren, eingeführt, reimport, imported car, car from abroad => Aus dem Ausland eingeführtes Fahrzeug anmelden
führerschein, fuehrerschein, lappen, fahrerlaubnis, fleppe, driving licence, driver license, drivers license, driving license => Führerschein; Fahrerlaubnis
führerschein umtauschen, alter führerschein, rosa führerschein, grauer lappen, führerschein umtausch, exchange driving licence, old driving licence => Führerschein Umtausch; Karteikartenabschrift
ausländischer führerschein, führerschein aus dem ausland, foreign driving licence, foreign license, convert driving licence => Umschreibung eines ausländischen Führerscheins; Umschreibung EU/EWR-Führerschein
internationaler führerschein, international driving permit, idp, führerschein usa reise => Internationaler Führerschein
führerschein verloren, lappen weg, führerschein gestohlen, lost driving licence => Führerschein Verlust Ersatz
führerschein weg, führerschein abgenommen, führerschein abgeben, lappen abgeben, führerschein entzogen, führerscheinentzug, fahrverbot, punkte flensburg, mpu, idiotentest, licence suspended => Entziehung des Führerscheins; Begutachtung der Fahreignung; Beratung zur Fahreignung
probezeit, fahranfänger, probationary period => Verkehrsverstöße in der Probezeit
knöllchen, knolle, strafzettel, bußgeld, bussgeld, blitzer, geblitzt, zu schnell gefahren, falschparken, parkticket, verwarnung, verwarnungsgeld, anhörung, parking ticket, parking fine, speeding ticket, fine, traffic fine => Verkehrsstraftaten und Ordnungswidrigkeiten; Bußgeld; Verwarnungsgeld
abgeschleppt, auto weg, auto abgeschleppt, towed car, car towed => Abschleppen Fahrzeug; Fundsache
parkausweis, anwohnerparken, bewohnerparken, parkplakette, parkvignette, parken vor der haustür, residents parking, parking permit => Bewohnerparkausweis
behindertenparkplatz, schwerbehindert parken, blauer parkausweis, disabled parking, blue badge => Parkausweis für Behinderte; Bundesweiter Parkausweis für Behinderte; EU-Parkausweis für Behinderte
taxischein, p schein, personenbeförderungsschein, uber fahrer, taxi fahren, taxi driver licence => Personenbeförderungsschein
taxi konzession, taxiunternehmen, taxi company => Taxigenehmigung
fahrrad gestohlen, fahrrad weg, rad gestohlen, bike stolen, lost bike => Verlorenes Fahrrad besichtigen und abholen
kfz steuer, autosteuer, car tax, vehicle tax => Kfz-Steuer
kfz versicherung, autoversicherung, evb, car insurance => Probleme bei Kfz-Versicherung oder Kfz-Steuer
halterauskunft, wem gehört das auto, vehicle owner => Auskunft aus dem Fahrzeugregister

# --- Ausländerbehörde, Einwanderung ---
reiseausweis, staatenlos, flüchtlingspass, blauer pass, travel document refugee, stateless => Reiseausweis für Flüchtlinge; Reiseausweis für Staatenlose; Reiseausweis für Ausländer
sperrkonto, blocked account => Aufhebung des Sperrkontos
fiktionsbescheinigung, fiktion, visum abgelaufen antrag gestellt => Fiktion § 81 AufenthG
arbeitgeber wechseln, jobwechsel visum, neuer arbeitgeber visum, change employer => Arbeitserlaubnis Änderung der Nebenbestimmungen
jobsuche, job seeker, job seeker visa, chancenkarte, opportunity card, arbeit suchen => Aufenthaltserlaubnis Arbeitsplatzsuche
forscher, wissenschaftler, researcher, doktorand, phd, postdoc => Aufenthaltserlaubnis Forschende und wissenschaftliches Personal
ausbildung visum, azubi, azubi visum, apprenticeship, vocational training => Aufenthaltserlaubnis Ausbildung
approbation, arzt anerkennung, berufsanerkennung, anerkennung abschluss, recognition of qualifications => Aufenthaltserlaubnis Anerkennung ausländischer Berufsqualifikationen; Qualifizierung als Ärzt*in
freelancer visa, freiberufler visum, selbstständig visum => Aufenthaltserlaubnis Selbstständige Tätigkeit
aufenthaltstitel übertragen, visum in neuen pass, neuer pass visum, visa new passport, transfer visa => Übertrag des Aufenthaltstitels in den neuen Pass
aufenthaltstitel abholen, eat abholen, karte abholen ausländerbehörde, collect residence permit, pick up residence permit, pick up residence card, residence card ready, collect residence card => Abholung elektronischer Aufenthaltstitel
aufenthaltstitel verloren, visum verloren, lost residence permit, lost residence card, residence card lost, residence permit lost, lost visa => Verlust von Aufenthalts- oder Ausweisdokumenten
aufenthalt läuft ab, visum läuft ab, titel läuft ab, notfall ausländerbehörde, visa expires, emergency appointment => Notfall-Hilfe Aufenthaltstitel
ausländisch, ausländer, ausland, aus dem ausland, abroad, foreign, foreigner, usa, amerika, amerikanisch, american, türkei, türkisch, turkish, italien, italienisch, polen, polnisch, rumänien, russland, russisch, ukrainisch, syrien, syrisch, afghanistan, indien, indisch, china, chinesisch, brasilien, thailand, thailändisch, philippinen, vietnam, kosovo, serbien, kroatien, bosnien, griechenland, spanien, frankreich, england, britisch, kanada, australien, japan, korea, iran, irak, marokko, tunesien, ägypten, nigeria, kenia, mexiko, kolumbien, österreich, schweiz, niederlande => Ausland; ausländisch
visum, visa, aufenthaltstitel, aufenthalt, aufenthaltsgenehmigung, aufenthaltserlaubnis verlängern, visum verlängern, residence permit, residence title, visa extension, extend visa, immigration office, foreigners office, ausländerbehörde, kvr ausländer => Aufenthaltserlaubnis; Aufenthaltstitel
arbeitsvisum, work visa, work permit, arbeiten in deutschland, arbeitserlaubnis, job in germany, blue card, blaue karte, blue card eu => Aufenthalts- und Arbeitserlaubnis; Aufenthaltserlaubnis Fachkräfte; Blaue Karte EU
studentenvisum, studium visum, student visa, studying in germany => Aufenthaltserlaubnis Studium
unbefristet, unbefristeter aufenthalt, dauerhaft bleiben, permanent residence, permanent residency, settlement permit, niederlassung => Niederlassungserlaubnis; Erlaubnis zum Daueraufenthalt-EU
deutscher werden, einbürgerungstest, leben in deutschland test, deutsche staatsangehörigkeit, staatsbürgerschaft, einbürgern, deutscher pass als ausländer, citizenship, german citizenship, naturalisation, naturalization, become german => Einbürgerung
familiennachzug, nachholen, nachzug, nachziehen, bring children, bring my kids, children join, bring family, frau nachholen, mann nachholen, ehepartner nachholen, kinder nachholen, family reunion, bring my wife, spouse visa, family reunification => Ehegattennachzug aus dem Ausland; Kindernachzug aus dem Ausland; Familiennachzug
asyl, flüchtling, geflüchtet, asylum, refugee => Asyl beantragen; Aufenthaltsgestattung
ukraine, ukrainisch, ukrainian => Aufenthaltserlaubnis Kriegsflüchtlinge aus der Ukraine
duldung, geduldet, tolerated stay => Duldung
verpflichtungserklärung, einladung besuch, besuch aus dem ausland einladen, invite visitor, letter of invitation => Verpflichtungserklärung abgeben
eu bürger, freizügigkeit, eu citizen => Daueraufenthaltsbescheinigung EU- und EWR-Bürger
au pair, aupair => Aufenthaltserlaubnis Au-pair
working holiday => Aufenthaltserlaubnis Working-Holiday

# --- Arbeit, Gewerbe, Unternehmen ---
gewerbe anmelden, gewerbeschein, laden aufmachen, geschäft aufmachen, geschäft eröffnen, laden eröffnen, café aufmachen, café eröffnen, selbstständig, selbständig, selbstständigkeit, selbstständig machen, selbständig machen, selbstständig werden, firma gründen, unternehmen gründen, existenzgründung, nebengewerbe, kleingewerbe, freiberuflich, start a business, register a business, business registration, trade licence, trade license, business license, business licence, self employed, freelance, open a shop, laden eröffnen => Gewerbe-Anmeldung; Gewerbeanmeldung
gewerbe abmelden, firma schließen, firma auflösen, firma aufgeben, geschäft aufgeben, gewerbe aufgeben, selbstständigkeit beenden, laden schließen, laden dichtmachen, betrieb aufgeben, betrieb einstellen, close business, deregister business => Gewerbe-Abmeldung
gewerbe ändern, gewerbe ummelden, gewerbe umziehen, gewerbe verlegen, firma umziehen, betrieb umziehen, betrieb verlegen, firmensitz ändern, geschäftsadresse ändern, change business, move business => Gewerbe-Ummeldung
gaststätte, kneipe, restaurant eröffnen, imbiss, café, ausschank, alkohol verkaufen, restaurant licence => Gaststättenerlaubnis; Gaststätte; Gewerbe-Anmeldung
markt stand, marktstand, flohmarkt, reisegewerbe, hausierer, tür zu tür, haustür verkaufen, haus zu haus, von haus zu haus, wanderhandel, straßenhandel, ambulanter handel, street vendor, market stall => Reisegewerbe-Erlaubnis; Reisegewerbekarte
security firma, sicherheitsdienst, türsteher, bouncer, security company => Bewachungsgewerbe
führungszeugnis, polizeiliches führungszeugnis, vorstrafen, strafregister, leumundszeugnis, criminal record, police clearance, certificate of good conduct, background check => Führungszeugnis
gewerbezentralregister, gewerbeauskunft => Auskunft aus dem Gewerbezentralregister
arbeitslos, job verloren, kündigung, unemployed, lost my job => Arbeitslosengeld; Arbeitsplatzverlust
bürgergeld, hartz, hartz 4, hartz iv, sozialhilfe, grundsicherung, welfare, social assistance => Bürgergeld; Grundsicherung; Sozialhilfe

# --- Rente, Soziales, Gesundheit ---
beiträge zurück, beitragserstattung, rentenbeiträge zurück, refund pension contributions => Beitragserstattung aus der Rentenversicherung
rentenbescheid falsch, widerspruch rente, einspruch rente => Widerspruch gegen die Rente
widerspruch krankenkasse, einspruch pflegekasse => Widerspruch gegen die Kranken-, Pflege- oder Unfallversicherung
versicherungsamt, sozialversicherung, rentenversicherung => Auskunft zur Rente; Auskunft zur gesetzlichen Kranken-, Pflege- und Unfallversicherung
rente, in rente gehen, ruhestand, pension, retirement, retire, old age pension => Altersrente; Rente
rentenauskunft, rentenberatung, wie viel rente, rente berechnen, pension advice, pension information => Auskunft zur Rente
erwerbsunfähig, berufsunfähig, disability pension => Erwerbsminderungsrente
lücken rentenversicherung, versicherungsverlauf, rentenkonto, pension record => Kontenklärung
reha, kur, rehabilitation, rehab => Medizinische Rehabilitation
lebensbescheinigung, lebensnachweis, proof of life, life certificate => Lebensbescheinigung
krankenversicherung, krankenkasse, pflegeversicherung, health insurance => Auskunft zur gesetzlichen Kranken-, Pflege- und Unfallversicherung
schwerbehindertenausweis, behindertenausweis, behinderung, grad der behinderung, disability card, disabled => Schwerbehindertenausweis; Behinderung
gehörlos, taub, schwerhörig, deaf => Sozialdienst für Gehörlose
pflege, pflegegeld, pflegebedürftig, care allowance => Pflege
bafög, bafoeg, studienfinanzierung, student loan, student grant => BAföG Antrag Ausbildungsförderung

# --- Ordnung, Sicherheit, Freizeit ---
munition, patronen, ammunition => Munition besitzen und erwerben
sprengstoff, sprengen, sprengmeister, explosives => Sprengstoffrechtliche Erlaubnis
waffe abgeben, waffen abgeben, erbwaffe, geerbte waffe, waffen entsorgen, hand in a gun => Waffen- bzw. Munitionsabgabe
angeln kind, kinder angeln, jugendlicher angeln => Jugendfischereischein beantragen
feuerwehr besichtigen, feuerwache besuchen, feuerwehr ausflug, feuerwehrmuseum => Führungen auf den Feuerwachen; Führungen durch die Feuerwehrausstellung
klassenfahrt, schulfahrt, schüler reise, schülersammelliste, school trip => Schulreisen innerhalb der Europäischen Union
pfandhaus, pfandleihe, pawn shop => Pfandleihergewerbe
auktion, versteigerung, auktionator, auction => Versteigerungsgewerbe
gewerbeschein verloren, gewerbeschein kopie, zweitschrift gewerbe => Zweitschrift Ihrer Gewerbemeldung
doktortitel eintragen, doktorgrad, familienstand ändern, personendaten ändern, daten im melderegister ändern, staatsangehörigkeit eintragen => Änderung der Personendaten im Melderegister
eu ausweis, eid karte, eu id card => eID-Karte
fundbüro, liegen gelassen, liegengelassen, etwas gefunden, gefunden, fundsachen, lost and found, lost property, found something, abgeben gefunden, finderlohn => Fundsache; Fundbüro; Verlustmeldung und Fundsachenbesichtigung
verloren, verlieren, verlust, weg, verschwunden, abhanden, gestohlen, geklaut, geklaut worden, diebstahl, dieb, eingebrochen, lost, stolen, theft => Verlust; Diebstahl
schlüssel verloren, handy verloren, tasche verloren, bus verloren, bahn verloren, tram verloren, zug verloren, taxi verloren, bus liegen lassen, bahn liegen lassen, lost my keys, lost my phone => Fundsache abholen; Verlustmeldung
waffe, waffenschein, pistole, schreckschuss, gun, firearm, gun licence, gun license, weapon license, weapon licence, weapons permit, firearms licence, firearms license => Kleiner Waffenschein; Waffenbesitzkarte; Waffenschein
jagen, jäger, jagd, hunting, hunting licence => Jagdschein beantragen
angeln, angelschein, fischen, angler, fishing, fishing licence, fishing permit => Fischereischein beantragen
feuerwerk, böller, pyro, fireworks => Feuerwerk Pyrotechnik anmelden
kirche austreten, aus der kirche austreten, kirchensteuer, kirchensteuer sparen, kirchenaustritt, aus kirche raus, austritt kirche, leave the church, church tax => Kirchenaustritt
beglaubigen, beglaubigte kopie, kopie beglaubigen, zeugnis beglaubigen, amtlich beglaubigt, certified copy, certified copies, certify document, notarise, notarize, notarized copy, notarised copy, apostille, legalisation => Beglaubigung von Dokumenten
unterschrift beglaubigen, signature certification, certify signature => Beglaubigung von Unterschriften
baum fällen, baum fällung, baumschutz, baum schneiden, tree felling, cut down tree => Baumschutz
wildschwein, fuchs, marder, waschbär, wildtier, wild animals, fox => Wildtiere und Jagd in der Stadt
hund, hunde, hündin, welpe, vierbeiner, dog, puppy => Hund; Hundesteuer
hund anmelden, hundemarke, hundesteuer, dog tax, dog licence, register a dog, register dog => Hundesteuer
katze, katze reise, haustier reise, tier impfpass, heimtierausweis, pet passport, travel with pet => Gesundheitszeugnis Hund Katze Frettchen
oktoberfest, wiesn, wies'n => Zufahrtserlaubnis für den Oktoberfest-Sperrring; Fundbüro Wiesn
feuerwehr, feuerwache, fire station, fire brigade => Führungen auf den Feuerwachen

# --- Bauen ---
kanalplan, abwasserplan, entwässerungsplan, hausanschluss kanal => Planeinsicht Grundstücksentwässerung
darf ich bauen, bauvoranfrage, vorbescheid, bebauungsplan => Beratung zum Baurecht
bauakte haus kaufen, bauakte einsehen, pläne einsehen => Einsicht in Bauakten
bauen, hausbau, haus bauen, anbau, umbau, baugenehmigung, bauantrag, building permit, planning permission => Baugenehmigung; Beratung zum Baurecht
bauakte, baupläne, pläne vom haus, building files => Einsicht in Bauakten
kanal, abwasser, entwässerung, sewer, drainage => Grundstücksentwässerung

# --- Schule, Bildung ---
einschulung, schulanmeldung, schule anmelden, schulplatz, school enrolment => Schulanmeldung; Schule
schulbescheinigung, schülerausweis => Schulbescheinigung
ausbildungsplatz, lehrstelle, lehre => Berufsausbildung
zeugnis anerkennen, abschluss anerkennen, diploma recognition => Anerkennung ausländischer Berufsqualifikationen

# --- Umwelt, Tiere ---
tier gestorben, haustier tot => Tierhaltung
kampfhund, listenhund, gefährlicher hund => Hundesteuer; gefährlicher Hund
hund abmelden, hund gestorben, hund abgegeben, hund verkauft => Hundesteuer; Hund abmelden
hundehalter, hundebesitzer, hund gekauft, hund aus dem tierheim, hund angeschafft, dog owner, got a dog => Hundesteuer
lärm, ruhestörung, nachbar laut, noise complaint => Lärmbeschwerde Ordnungsamt

# --- Steuern und Abgaben ---
grundsteuer, property tax => Grundsteuer
zweitwohnungssteuer, second home tax => Zweitwohnungsteuer
steuer, steuern, tax => Steuer
`

// synonymEntry is one parsed line: the phrases (each a stem sequence) and
// the target texts.
type synonymEntry struct {
	phrases [][]string
	targets []string
}

// synonymIndex maps the first stem of a phrase to the entries' phrases
// starting with it.
type synonymIndex struct {
	byFirst map[string][]synonymPhrase
	maxLen  int
	// words are the folded words of all phrases and targets, added to the
	// finder's lexicon so compounds of colloquial words split too.
	words []string
}

type synonymPhrase struct {
	stems   []string
	targets []string
	// alone: the line starts with "!" and applies only when the phrase is
	// all the query says ("Anmeldung" alone means the residence
	// registration; "Hochzeit anmelden" does not).
	alone bool
}

var synonyms = sync.OnceValue(func() *synonymIndex {
	idx := &synonymIndex{byFirst: map[string][]synonymPhrase{}}
	for _, line := range strings.Split(synonymTable, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		alone := strings.HasPrefix(line, "!")
		lhs, rhs, ok := strings.Cut(strings.TrimPrefix(line, "!"), "=>")
		if !ok {
			continue
		}
		var targets []string
		for _, t := range strings.Split(rhs, ";") {
			if t = strings.TrimSpace(t); t != "" {
				targets = append(targets, t)
				for _, w := range tokenize(t, 0) {
					if len(w) >= 3 {
						idx.words = append(idx.words, fold(w))
					}
				}
			}
		}
		for _, p := range strings.Split(lhs, ",") {
			var stems []string
			words := tokenize(p, 0)
			for _, w := range words {
				if len(w) >= 4 {
					idx.words = append(idx.words, fold(w))
				}
				if !stopwords[fold(w)] {
					stems = append(stems, stem(w))
				}
			}
			// A phrase that loses words to stop words ("vater werden")
			// would become too general; keep it only if two words remain.
			if len(stems) == 0 || (len(stems) < len(words) && len(stems) < 2 && !alone) {
				continue
			}
			idx.byFirst[stems[0]] = append(idx.byFirst[stems[0]], synonymPhrase{stems: stems, targets: targets, alone: alone})
			if len(stems) > idx.maxLen {
				idx.maxLen = len(stems)
			}
		}
	}
	return idx
})

// match returns the longest phrase starting at word i and its length in
// words; strong tells how many words of the query carry meaning (phrases
// marked alone apply only when they cover all of them). A word matches a phrase word by its stem or, for a compound, by
// the stem of its last part ("Schreckschusspistole" matches "Pistole").
func (x *synonymIndex) match(stems, heads []string, i, strong int) (synonymPhrase, int) {
	var best synonymPhrase
	n := 0
	try := func(cands []synonymPhrase) {
		for _, p := range cands {
			if len(p.stems) <= n || i+len(p.stems) > len(stems) || (p.alone && len(p.stems) < strong) {
				continue
			}
			ok := true
			for j, s := range p.stems {
				if stems[i+j] != s && heads[i+j] != s {
					ok = false
					break
				}
			}
			if ok {
				best, n = p, len(p.stems)
			}
		}
	}
	try(x.byFirst[stems[i]])
	if heads[i] != "" && heads[i] != stems[i] {
		try(x.byFirst[heads[i]])
	}
	return best, n
}
