// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../../contracts/types/DataTypes.sol";

/// @notice What the handler saw happen: every rental opened, how it closed, and every token that came in or went
/// out of the escrow, per token. The invariants compare this ghost ledger with the escrow's own state.
contract RentalStore {
    struct Record {
        RentalTerms terms;
        uint256 deposit;
        /// Cost accrued to the provider (net + fee), checkpoints included.
        uint256 charged;
        /// cost(price, end − start) for the end the rental closed at (0 while open).
        uint256 wallCost;
        uint256 refund;
        bool closed;
        /// Closed by a dispute outcome: the provider's share may exceed the wall-clock cost.
        bool resolved;
        /// Under a subjective dispute, and what the escrow held for it when frozen.
        bool frozen;
        uint256 frozenDeposit;
        uint256 frozenPaidSeconds;
    }

    Record[] internal _records;

    mapping(address token => uint256) public depositsIn;
    mapping(address token => uint256) public closedDeposits;
    /// Net + fee accrued to offer accounts (checkpoints and settlements).
    mapping(address token => uint256) public accrued;
    /// Refunds pushed to renters, and refunds credited to them (undeliverable).
    mapping(address token => uint256) public refundsPushed;
    mapping(address token => uint256) public refundsCredited;
    /// Net paid out to payout addresses by claimEarnings.
    mapping(address token => uint256) public claimedNet;
    /// Credits withdrawn.
    mapping(address token => uint256) public withdrawn;

    /// Dispute module, per token: provider bonds in and withdrawn, termination penalties taken from bonds, dispute
    /// bonds in and paid back out (or credited), deposits the escrow handed over by `resolve` and what the module
    /// paid (or credited) of them; and what dispute outcomes gave renters.
    mapping(address token => uint256) public bondsIn;
    mapping(address token => uint256) public bondsOut;
    mapping(address token => uint256) public penalties;
    mapping(address token => uint256) public disputeBondsIn;
    mapping(address token => uint256) public disputeBondsOut;
    mapping(address token => uint256) public resolvedOut;
    mapping(address token => uint256) public resolvedPaid;
    mapping(address token => uint256) public resolvedRenter;

    /// A frozen rental's money moved without a ruling or a passed deadline.
    uint256 public frozenMoved;
    /// A proof against the honest provider succeeded.
    uint256 public honestSlashes;
    /// An owner call changed a bond.
    uint256 public ownerMovedBonds;

    /// A settle or refund that succeeded on a rental already closed.
    uint256 public doubleCloses;
    /// Attempts to close a closed rental (each must revert).
    uint256 public closedRetries;

    function add(RentalTerms memory terms, uint256 deposit) external returns (uint256 index) {
        index = _records.length;
        Record storage r = _records.push();
        r.terms = terms;
        r.deposit = deposit;
        depositsIn[terms.token] += deposit;
    }

    function recordExtend(uint256 i, uint256 amount) external {
        _records[i].deposit += amount;
        depositsIn[_records[i].terms.token] += amount;
    }

    function recordCharge(uint256 i, uint256 amount) external {
        _records[i].charged += amount;
        accrued[_records[i].terms.token] += amount;
    }

    function recordClose(uint256 i, uint256 pushed, uint256 credited, uint256 wallCost) external {
        Record storage r = _records[i];
        if (r.closed) doubleCloses++;
        r.closed = true;
        r.refund = pushed + credited;
        r.wallCost = wallCost;
        refundsPushed[r.terms.token] += pushed;
        refundsCredited[r.terms.token] += credited;
        closedDeposits[r.terms.token] += r.deposit;
    }

    function recordFrozen(uint256 i, uint256 deposit, uint256 paidSeconds, uint256 disputeBond) external {
        Record storage r = _records[i];
        (r.frozen, r.frozenDeposit, r.frozenPaidSeconds) = (true, deposit, paidSeconds);
        disputeBondsIn[r.terms.token] += disputeBond;
    }

    /// @dev A ruling closed rental `i`: `atStake` left the escrow for the module, `toRenter` of it to the renter,
    /// `providerShare` (net + fee) to the provider's payout and the treasury; the deposit after the freeze went back
    /// to the renter from the escrow (`returnedPushed` + `returnedCredited`).
    function recordResolved(
        uint256 i,
        uint256 atStake,
        uint256 toRenter,
        uint256 providerShare,
        uint256 returnedPushed,
        uint256 returnedCredited
    ) external {
        Record storage r = _records[i];
        if (r.closed) doubleCloses++;
        (r.closed, r.resolved, r.frozen) = (true, true, false);
        r.charged += providerShare;
        r.refund = toRenter + returnedPushed + returnedCredited;
        address token = r.terms.token;
        accrued[token] += providerShare;
        resolvedRenter[token] += toRenter;
        refundsPushed[token] += returnedPushed;
        refundsCredited[token] += returnedCredited;
        closedDeposits[token] += r.deposit;
        resolvedOut[token] += atStake;
        resolvedPaid[token] += atStake;
    }

    function recordBond(address token, uint256 amount) external {
        bondsIn[token] += amount;
    }

    function recordBondWithdrawn(address token, uint256 amount) external {
        bondsOut[token] += amount;
    }

    function recordPenalty(address token, uint256 amount) external {
        penalties[token] += amount;
    }

    function recordDisputeBondOut(address token, uint256 amount) external {
        disputeBondsOut[token] += amount;
    }

    function recordFrozenMoved() external {
        frozenMoved++;
    }

    function recordHonestSlash() external {
        honestSlashes++;
    }

    function recordOwnerMovedBonds() external {
        ownerMovedBonds++;
    }

    function recordClosedRetry() external {
        closedRetries++;
    }

    function recordClaim(address token, uint256 net) external {
        claimedNet[token] += net;
    }

    function recordWithdraw(address token, uint256 amount) external {
        withdrawn[token] += amount;
    }

    function count() external view returns (uint256) {
        return _records.length;
    }

    function get(uint256 i) external view returns (Record memory) {
        return _records[i];
    }
}
