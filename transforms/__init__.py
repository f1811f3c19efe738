"""Pure logic shared by every stage: contracts, text, markers, day keys, aggregation, privacy."""
