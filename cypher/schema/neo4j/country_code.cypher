// Index on the merge key of :Country — generated from cypher/model.toml
CREATE INDEX country_code IF NOT EXISTS FOR (n:Country) ON (n.code)
