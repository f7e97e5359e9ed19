// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {IDisputeModule} from "../../../contracts/interfaces/IDisputeModule.sol";
import {RentalQuote} from "../../../contracts/libraries/RentalQuote.sol";
import {RentalState, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";

/// @notice What every handler shares, so each one keeps only its actions: the escrow and its dispute module, call
/// counting (`instrument`) and picking a rental to act on (`useRental`). A handler says which rentals it knows
/// (`_rentalCount`, `_termsOf`, `_isClosed`); an action then reads like
/// `function stop(uint256 seed) external useRental(seed, _isRunning) instrument("stop") { ... }`.
abstract contract BaseHandler is CommonBase, StdCheats, StdUtils {
    IGpuEscrowFull internal immutable escrow;
    IDisputeModule internal immutable disputes;

    /// @notice How often each action ran in the current run, by keccak256 of its name (`afterInvariant` logs them):
    /// every call that found what it acts on (a call skipped by `useRental` is not counted) and did not revert.
    mapping(bytes32 action => uint256) public calls;

    /// @dev The index of the rental the running action acts on, set by `useRental`.
    uint256 internal currentRental;

    constructor(IGpuEscrowFull escrow_) {
        escrow = escrow_;
        disputes = IDisputeModule(escrow_.disputeModule());
    }

    /*//////////////////////////////////////////////////////////////
                               MODIFIERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Counts a call of `action` in `calls`. Put it after `useRental`, so a call with nothing to act on is not
    /// counted.
    modifier instrument(string memory action) {
        calls[keccak256(bytes(action))]++;
        _;
    }

    /// @dev Runs the action on a rental that `matches`, the first one searching from index `seed` (wrapping around),
    /// as `currentRental`; skips the call when none does.
    modifier useRental(uint256 seed, function(uint256) internal view returns (bool) matches) {
        if (_useRental(seed, matches)) _;
    }

    /*//////////////////////////////////////////////////////////////
                        THE HANDLER'S RENTALS
    //////////////////////////////////////////////////////////////*/

    /// @dev How many rentals the handler has opened (closed ones included); indexes run from 0.
    function _rentalCount() internal view virtual returns (uint256);

    /// @dev The terms of rental `i`.
    function _termsOf(uint256 i) internal view virtual returns (RentalTerms memory);

    /// @dev Whether the handler saw rental `i` close.
    function _isClosed(uint256 i) internal view virtual returns (bool);

    /*//////////////////////////////////////////////////////////////
                          WHAT AN ACTION PICKS
    //////////////////////////////////////////////////////////////*/

    /// @dev Any rental: with `useRental`, the one at index `seed % count`.
    function _anyRental(uint256) internal pure returns (bool) {
        return true;
    }

    /// @dev Open and active in the escrow (not frozen), running or ended.
    function _isActive(uint256 i) internal view returns (bool) {
        return !_isClosed(i) && _statusOf(_termsOf(i)) == RentalStatus.Active;
    }

    /// @dev Open and active, and its end not reached yet.
    function _isRunning(uint256 i) internal view returns (bool) {
        return _isActive(i) && block.timestamp < _endOf(_termsOf(i));
    }

    /// @dev Open and frozen by a dispute.
    function _isFrozen(uint256 i) internal view returns (bool) {
        return !_isClosed(i) && _statusOf(_termsOf(i)) == RentalStatus.Frozen;
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev The index and terms of the rental the running action acts on.
    function _current() internal view returns (uint256 i, RentalTerms memory t) {
        i = currentRental;
        t = _termsOf(i);
    }

    /// @dev Sets `currentRental` to the rental `useRental` picks; false when there is none. (A function, so the
    /// modifier adds no local variables to the action's stack.)
    function _useRental(uint256 seed, function(uint256) internal view returns (bool) matches)
        internal
        returns (bool found)
    {
        uint256 i;
        (found, i) = _findRental(seed, matches);
        if (found) currentRental = i;
    }

    function _findRental(uint256 seed, function(uint256) internal view returns (bool) matches)
        internal
        view
        returns (bool found, uint256 i)
    {
        uint256 n = _rentalCount();
        for (uint256 k; k < n; ++k) {
            i = (seed % n + k) % n;
            if (matches(i)) return (true, i);
        }
        return (false, 0);
    }

    /// @dev The rental's end as the escrow has it now: stop, termination or freeze, or its deposit running out.
    function _endOf(RentalTerms memory t) internal view returns (uint256) {
        RentalState memory s = escrow.rentalState(_id(t));
        return RentalQuote.endOf(t.startedAt, t.pricePerHour, s.deposit, s.stoppedAt);
    }

    function _statusOf(RentalTerms memory t) internal view returns (RentalStatus) {
        return escrow.rentalState(_id(t)).status;
    }

    function _id(RentalTerms memory t) internal pure returns (bytes32) {
        return keccak256(abi.encode(t));
    }
}
