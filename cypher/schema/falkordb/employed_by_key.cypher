// Every :EMPLOYED_BY relationship has a `key` (its ends, and what tells apart two of them between the same ends), so two loads at once cannot duplicate it — generated from cypher/model.toml
// (the index the unique constraint needs; FalkorDB's constraint itself is a GRAPH.CONSTRAINT command, see FalkorStore.require_unique_keys)
CREATE INDEX FOR ()-[r:EMPLOYED_BY]-() ON (r.key)
