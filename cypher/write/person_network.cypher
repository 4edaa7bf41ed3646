// Network analytics written back to persons: $rows = [{id, community, community_size, broker_score, inferred_role, inferred_role_confidence, inferred_role_basis}]
// A role that came from intelligence is never replaced by an inferred one.
UNWIND $rows AS r
MATCH (p:Person {id: r.id})
SET p.community = r.community, p.community_size = r.community_size,
    p.broker_score = r.broker_score,
    p.inferred_role = CASE WHEN p.role_source = 'intelligence' THEN null ELSE r.inferred_role END,
    p.inferred_role_confidence = CASE WHEN p.role_source = 'intelligence' THEN null
                                      ELSE r.inferred_role_confidence END,
    p.inferred_role_basis = CASE WHEN p.role_source = 'intelligence' THEN null
                                 ELSE r.inferred_role_basis END
RETURN count(p) AS n
