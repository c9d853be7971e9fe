package einvoice

// germanText explains the most frequent rules in plain German, for
// clerks who receive the invoice. The official message stays in Text.
var germanText = map[string]string{}
