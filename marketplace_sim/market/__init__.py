"""Market mechanics as pure functions: numpy arrays in, numpy arrays out, no Mesa.

- :mod:`.discovery`: search visibility and drawing applicants (cumulative weights, binary search).
- :mod:`.choice`: clients' multinomial-logit choice and capacity-respecting matching.
- :mod:`.delivery`: niche fit, delivered quality, timeliness, satisfaction, learning.
- :mod:`.reviews`: public stars, private outcomes, displayed rating, job success score.
- :mod:`.pricing`: freelancers' rate adjustment.
"""
