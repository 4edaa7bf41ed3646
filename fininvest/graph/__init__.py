"""The entity graph: one small store interface, an embedded FalkorDB default and Neo4j."""
