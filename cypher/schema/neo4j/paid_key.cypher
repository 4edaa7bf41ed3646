// Every :PAID relationship has a unique `key` (its ends, and what tells apart two of them between the same ends), so two loads at once cannot duplicate it — generated from cypher/model.toml
CREATE CONSTRAINT paid_key IF NOT EXISTS FOR ()-[r:PAID]-() REQUIRE r.key IS UNIQUE
