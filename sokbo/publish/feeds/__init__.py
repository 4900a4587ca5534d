"""The feed stage: RSS 2.0, Atom and JSON Feed of a site and of its categories. `model`,
`prepare`, `build` and `jsonfeed` are pure; `write` (files, store), `cache` (store) and
`websub` (network) do the I/O."""
