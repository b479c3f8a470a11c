# a jq program with an unbalanced bracket
{text: (.event + " on " + .payload.source}
