package verifier

import "slices"

// keepIdentity makes snap reuse old's *publicKey for every key that did not
// change, so that what a key verified (cached tokens) outlives a refresh.
func keepIdentity(old, snap *keySnapshot) {
	if old == nil {
		return
	}
	for kid, keys := range snap.byKID {
		for i, k := range keys {
			if j := slices.IndexFunc(old.byKID[kid], k.same); j >= 0 {
				keys[i] = old.byKID[kid][j]
			}
		}
	}
}

// removedKeys lists the keys of old that snap no longer holds. A key that
// is published again with the same kid but other material counts as removed.
func removedKeys(old, snap *keySnapshot) []*publicKey {
	if old == nil {
		return nil
	}
	var removed []*publicKey
	for kid, keys := range old.byKID {
		for _, k := range keys {
			if !slices.ContainsFunc(snap.byKID[kid], k.same) {
				removed = append(removed, k)
			}
		}
	}
	return removed
}

// logChanges logs the kids that snap adds to old and removes from it, when
// there are any.
func (k *keySet) logChanges(old, snap *keySnapshot) {
	var added, removed []string
	for kid := range snap.byKID {
		if old == nil || old.byKID[kid] == nil {
			added = append(added, kid)
		}
	}
	if old != nil {
		for kid := range old.byKID {
			if snap.byKID[kid] == nil {
				removed = append(removed, kid)
			}
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		slices.Sort(added)
		slices.Sort(removed)
		k.log.Info("verifier: issuer keys changed", "issuer", k.cfg.Issuer, "jwks_uri", snap.url,
			"added", added, "removed", removed, "keys", snap.count)
	}
}
