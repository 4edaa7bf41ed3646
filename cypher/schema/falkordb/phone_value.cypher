// Index on the merge key of :Phone (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:Phone) ON (n.value)
