// The release public key compiled into the binaries: the Ed25519 key whose signature a release manifest must
// carry before an update is downloaded. CMake generates its definition from the PEM file given as
// -DQUORUM_RELEASE_PUBLIC_KEY (default: packaging/keys/dev-release.pub, the development key:
// docs/release.md).
#pragma once

#include <string_view>

namespace quorum::update {

// The public key, PEM ("-----BEGIN PUBLIC KEY-----…"). Static storage.
std::string_view release_public_key_pem();

// The release feed a tarball install checks when none is configured (-DQUORUM_DEFAULT_UPDATE_FEED at
// configure time; empty by default, which leaves the update off until a feed is given).
std::string_view default_update_feed();

// True when the compiled-in key is the development key (its file name said so at configure time): `quorum
// --version`'s consumers and the update's log say so, since anyone holding the repository can sign for it.
bool release_key_is_development();

}  // namespace quorum::update
