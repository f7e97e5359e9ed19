// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev A renter's ed25519 SSH public key in the wire format `open` takes (51 bytes: the base64-decoded middle field
/// of `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK`).
bytes constant ED25519_ACCESS_KEY =
    hex"0000000b7373682d6564323535313900000020fc702e4bdaec8b81f9704fb7d22c6fa5c4a454a9ed24c9a20e488a0e5685e70a";
