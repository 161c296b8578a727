"""REST resources of the knowledge base (SPEC A2, K1-K6): policy pages and
sections, FAQs, canned messages, search and versions, scoped like the admin
and writing through `knowledgebase.services`."""
