// Every :FLAGGED_BY relationship has a unique `key` (its ends, and what tells apart two of them between the same ends), so two loads at once cannot duplicate it — generated from cypher/model.toml
CREATE CONSTRAINT flagged_by_key IF NOT EXISTS FOR ()-[r:FLAGGED_BY]-() REQUIRE r.key IS UNIQUE
