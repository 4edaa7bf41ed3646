// FalkorDB only (its constraint list; Neo4j: SHOW CONSTRAINTS): used while FalkorStore waits for
// the unique constraints on relationship keys to become operational
CALL db.constraints() YIELD type, label, properties, entitytype, status
RETURN type, label, properties, entitytype, status
