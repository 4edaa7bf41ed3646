// Index on the merge key of :Person (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:Person) ON (n.id)
