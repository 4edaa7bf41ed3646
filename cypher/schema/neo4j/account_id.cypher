// Index on the merge key of :Account — generated from cypher/model.toml
CREATE INDEX account_id IF NOT EXISTS FOR (n:Account) ON (n.id)
