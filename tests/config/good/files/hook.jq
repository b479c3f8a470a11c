# the envelope, reduced
{event, source: .payload.source, value: .payload.value}
