// Index on the merge key of :Alert — generated from cypher/model.toml
CREATE INDEX alert_id IF NOT EXISTS FOR (n:Alert) ON (n.id)
