// Index on the merge key of :Email (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:Email) ON (n.value)
