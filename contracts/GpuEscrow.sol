// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {AttestationVerifier} from "./abstracts/AttestationVerifier.sol";
import {EscrowGovernance} from "./abstracts/EscrowGovernance.sol";
import {Payouts} from "./abstracts/Payouts.sol";
import {IDisputeHooks} from "./interfaces/IDisputeHooks.sol";
import {IGpuEscrow} from "./interfaces/IGpuEscrow.sol";
import {IRentals} from "./interfaces/IRentals.sol";
import {Billing} from "./libraries/Billing.sol";
import {ErrorData} from "./libraries/ErrorData.sol";
import {Errors} from "./libraries/Errors.sol";
import {RentalQuote} from "./libraries/RentalQuote.sol";
import {TokenTransfer} from "./libraries/TokenTransfer.sol";
import {
    Config,
    Offer,
    OfferAccount,
    OfferStanding,
    OpenParams,
    RentalState,
    RentalStatus,
    RentalTerms,
    Usage
} from "./types/DataTypes.sol";

/// @title GpuEscrow
/// @notice Trustless GPU rental: the renter's deposit is escrowed here and paid out per attested second.
/// The rules live in {IRentals} and the other interfaces; this contract reads as the list of rental actions.
contract GpuEscrow is Payouts, AttestationVerifier, IGpuEscrow {
    uint256 public constant override MAX_ACCESS_KEY_LENGTH = 1024;

    mapping(bytes32 rentalId => RentalState) internal _rentals;

    constructor(address owner_, address treasury_) EscrowGovernance(owner_, treasury_) {}

    /*//////////////////////////////////////////////////////////////
                                 OPEN
    //////////////////////////////////////////////////////////////*/

    /// @dev No reentrancy guard needed on the open paths: every state write happens before the token pull, the only
    /// external call, and nothing is read after it.
    function open(OpenParams calldata params, bytes calldata accessKey) external payable override returns (bytes32 id) {
        address token;
        (id, token) = _open(params, accessKey);
        TokenTransfer.pullExact(token, msg.sender, params.deposit);
    }

    function openWithPermit(
        OpenParams calldata params,
        bytes calldata accessKey,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override returns (bytes32 id) {
        address token;
        (id, token) = _open(params, accessKey);
        if (token == TokenTransfer.NATIVE) revert Errors.GpuEscrow_PermitOnNativeCoin(params.offerId);
        // A front-run permit makes this call fail; the allowance it set is then used all the same.
        try IERC20Permit(token).permit(msg.sender, address(this), params.deposit, deadline, v, r, s) {} catch {}
        TokenTransfer.pullExact(token, msg.sender, params.deposit);
    }

    /*//////////////////////////////////////////////////////////////
                            DURING THE RENTAL
    //////////////////////////////////////////////////////////////*/

    function extend(RentalTerms calldata terms, uint96 amount) external payable override nonReentrant {
        bytes32 id = _rentalId(terms);
        RentalState memory s = _activeRental(id);
        if (msg.sender != terms.renter) revert Errors.GpuEscrow_NotRenter(id, msg.sender);
        _requireRunning(id, terms, s);
        uint256 deposit = uint256(s.deposit) + amount;
        if (deposit > type(uint96).max) revert Errors.GpuEscrow_DepositTooLarge(deposit);
        Offer storage o = _offers[terms.offerId];
        uint256 covered = Billing.coveredSeconds(terms.pricePerHour, deposit);
        if (covered > o.maxDuration) {
            revert Errors.GpuEscrow_DurationOutOfBounds(terms.offerId, covered, o.minDuration, o.maxDuration);
        }
        _rentals[id].deposit = uint96(deposit);
        emit RentalExtended(id, amount, deposit);
        TokenTransfer.pullExact(terms.token, msg.sender, amount);
    }

    function stop(RentalTerms calldata terms) external override {
        bytes32 id = _rentalId(terms);
        if (msg.sender != terms.renter) revert Errors.GpuEscrow_NotRenter(id, msg.sender);
        _stopNow(id, terms);
    }

    function terminate(RentalTerms calldata terms) external override {
        bytes32 id = _rentalId(terms);
        Offer storage o = _offers[terms.offerId];
        if (msg.sender != o.provider) revert Errors.GpuEscrow_NotProvider(id, msg.sender);
        _stopNow(id, terms);
        // The penalty is on the cost of the time already rented, which no call of the renter's can raise (a deposit
        // topped up just before would be). The module is fixed before any deposit and trusted like this contract;
        // the rental is already stopped.
        if (!o.spot) {
            uint256 elapsedCost = Billing.cost(terms.pricePerHour, block.timestamp - terms.startedAt);
            IDisputeHooks(_disputeModule).onTerminated(terms, msg.sender, elapsedCost);
        }
    }

    function checkpoint(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        bytes32 id = _rentalId(terms);
        RentalState memory s = _activeRental(id);
        // Only a running rental: an ended one settles, so no checkpoint can spend the attestation that settles it.
        uint256 end = _endOf(terms, s);
        if (block.timestamp >= end) revert Errors.GpuEscrow_RentalEnded(id, end);
        uint256 usableAt = uint256(usage.periodEnd) + terms.challengeWindow;
        if (block.timestamp < usableAt) revert Errors.GpuEscrow_AttestationInChallengeWindow(id, usableAt);
        ErrorData.revertIf(_usageError(id, terms, s, usage, signature));

        // uptime ≤ periodEnd − start < end − start: the attested seconds are all billable.
        uint256 billed = usage.uptimeSeconds;
        uint256 cost = Billing.cost(terms.pricePerHour, billed);
        uint256 paidCost = Billing.cost(terms.pricePerHour, s.paidSeconds);
        // Both are non-decreasing in the cost, and billed ≥ paidSeconds (`_usageError`).
        uint256 net = Billing.checkpointable(cost, terms.feeBps, terms.slaBps)
            - Billing.checkpointable(paidCost, terms.feeBps, terms.slaBps);
        uint256 fee = Billing.fee(cost, terms.feeBps) - Billing.fee(paidCost, terms.feeBps);
        _rentals[id].paidSeconds = uint32(billed);
        _rentals[id].lastSeq = usage.seq;
        OfferAccount memory m = _accounts[terms.offerId];
        _accrue(m, terms.offerId, terms.token, net, fee);
        _accounts[terms.offerId] = m;
        emit Checkpointed(id, usage.seq, uint32(billed), net, fee);
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    function stopAndSettle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        bytes32 id = _rentalId(terms);
        if (msg.sender != terms.renter) revert Errors.GpuEscrow_NotRenter(id, msg.sender);
        RentalState memory s = _activeRental(id);
        // Still running: billing ends now, and the seconds after the attestation's periodEnd (≤ now, checked in
        // `_usageError`) are billed as delivered, so an old attestation is no discount. Ended: the renter's settle.
        bytes memory err = block.timestamp < _endOf(terms, s)
            ? _trySettle(id, terms, s, block.timestamp, usage, signature, false)
            : _settleDue(id, terms, s, usage, signature);
        ErrorData.revertIf(err);
    }

    function settle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        bytes32 id = _rentalId(terms);
        ErrorData.revertIf(_settleDue(id, terms, _activeRental(id), usage, signature));
    }

    function settleBatch(RentalTerms[] calldata terms, Usage[] calldata usages, bytes[] calldata signatures)
        external
        override
        nonReentrant
        returns (uint256 settled)
    {
        uint256 n = terms.length;
        if (n == 0) revert Errors.GpuEscrow_EmptyBatch();
        if (usages.length != n || signatures.length != n) {
            revert Errors.GpuEscrow_BatchLengthMismatch(n, usages.length, signatures.length);
        }
        for (uint256 i; i < n; ++i) {
            bytes32 id = _rentalId(terms[i]);
            RentalState memory s = _rentals[id];
            bytes memory err = s.status == RentalStatus.Active
                ? _settleDue(id, terms[i], s, usages[i], signatures[i])
                : ErrorData.encode(Errors.GpuEscrow_RentalNotActive.selector, id, uint256(uint8(s.status)));
            // Whatever anyone did first (settled, refunded, froze, stopped it), one item never fails the batch.
            if (err.length != 0) {
                emit SettlementSkipped(id, err);
                continue;
            }
            // settled ≤ n, a calldata array length.
            unchecked {
                ++settled;
            }
        }
    }

    function refund(RentalTerms calldata terms) external override nonReentrant {
        bytes32 id = _rentalId(terms);
        RentalState memory s = _activeRental(id);
        uint256 refundableAt = _endOf(terms, s) + terms.gracePeriod + 1;
        if (block.timestamp < refundableAt) revert Errors.GpuEscrow_RefundNotDue(id, refundableAt);
        _refund(id, terms, s);
    }

    /*//////////////////////////////////////////////////////////////
                                DISPUTES
    //////////////////////////////////////////////////////////////*/

    function freeze(RentalTerms calldata terms) external override {
        _requireDisputeModule();
        bytes32 id = _rentalId(terms);
        RentalState memory s = _activeRental(id);
        // Freezing stops the clock: a dispute only concerns the seconds before it.
        if (block.timestamp < _endOf(terms, s)) {
            _rentals[id].stoppedAt = uint40(block.timestamp);
            emit RentalStopped(id, msg.sender, uint40(block.timestamp));
        }
        _rentals[id].status = RentalStatus.Frozen;
        emit RentalFrozen(id);
    }

    function resolve(RentalTerms calldata terms) external override nonReentrant returns (uint256 atStake) {
        _requireDisputeModule();
        bytes32 id = _rentalId(terms);
        RentalState memory s = _rentals[id];
        if (s.status == RentalStatus.None) revert Errors.GpuEscrow_RentalNotActive(id, s.status);
        uint256 end = _endOf(terms, s);
        if (block.timestamp < end) end = block.timestamp;
        uint256 elapsedCost = Billing.cost(terms.pricePerHour, end - terms.startedAt);
        // paidOut ≤ cost(paidSeconds) ≤ elapsedCost ≤ deposit: checkpoints paid for attested seconds before the end.
        atStake = elapsedCost - Billing.paidOut(terms.pricePerHour, terms.feeBps, terms.slaBps, s.paidSeconds);
        uint256 returned = s.deposit - elapsedCost;
        delete _rentals[id];
        _close(terms, 0, 0, 0, 0, false);
        // end ≤ _endOf ≤ startedAt + covered seconds, far below 2^64.
        emit RentalResolved(id, uint64(end), atStake, returned);
        _payOrCredit(terms.token, terms.renter, returned);
        TokenTransfer.push(terms.token, msg.sender, atStake);
    }

    function release(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        _requireDisputeModule();
        bytes32 id = _rentalId(terms);
        RentalState memory s = _rentals[id];
        if (s.status != RentalStatus.Frozen) revert Errors.GpuEscrow_RentalNotFrozen(id, s.status);
        if (signature.length == 0) return _refund(id, terms, s);
        ErrorData.revertIf(_trySettle(id, terms, s, _endOf(terms, s), usage, signature, true));
    }

    function setOfferSuspended(uint64 offerId, bool suspended) external override {
        _requireDisputeModule();
        _existingOffer(offerId);
        _accounts[offerId].standing = suspended ? OfferStanding.Suspended : OfferStanding.Listed;
        emit OfferSuspended(offerId, suspended);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function rentalState(bytes32 id) external view override returns (RentalState memory) {
        return _rentals[id];
    }

    function attestationDigest(RentalTerms calldata terms, Usage calldata usage)
        external
        view
        override
        returns (bytes32)
    {
        return _usageDigest(_rentalId(terms), usage);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Checks the offer, takes a capacity slot and records the rental. Returns the id and the token to pull.
    function _open(OpenParams calldata p, bytes calldata accessKey) private returns (bytes32 id, address token) {
        Config memory c = _config;
        if (c.paused) revert Errors.GpuEscrow_Paused();
        uint256 keyLength = accessKey.length;
        if (keyLength == 0 || keyLength > MAX_ACCESS_KEY_LENGTH) {
            revert Errors.GpuEscrow_InvalidAccessKeyLength(keyLength, MAX_ACCESS_KEY_LENGTH);
        }
        Offer storage o = _offers[p.offerId];
        address attester = o.attester;
        if (attester == address(0)) revert Errors.GpuEscrow_OfferNotFound(p.offerId);
        token = o.token;
        if (!_isAllowed(c, o.tokenId)) revert Errors.GpuEscrow_TokenNotAllowed(token);
        uint96 price = o.pricePerHour;
        uint256 covered = Billing.coveredSeconds(price, p.deposit);
        if (covered < o.minDuration || covered > o.maxDuration) {
            revert Errors.GpuEscrow_DurationOutOfBounds(p.offerId, covered, o.minDuration, o.maxDuration);
        }
        OfferAccount storage a = _accounts[p.offerId];
        if (a.standing == OfferStanding.Suspended) revert Errors.GpuEscrow_OfferSuspended(p.offerId);
        uint16 active = a.activeRentals;
        uint16 capacity = o.capacity;
        if (active >= capacity) {
            if (o.retired) revert Errors.GpuEscrow_OfferRetired(p.offerId);
            revert Errors.GpuEscrow_OfferAtCapacity(p.offerId, capacity);
        }
        // active < capacity ≤ type(uint16).max, checked above.
        unchecked {
            a.activeRentals = active + 1;
        }

        RentalTerms memory terms = RentalTerms({
            renter: msg.sender,
            offerId: p.offerId,
            token: token,
            pricePerHour: price,
            attester: attester,
            startedAt: uint40(block.timestamp),
            feeBps: c.feeBps,
            slaBps: o.slaBps,
            challengeWindow: c.challengeWindow,
            gracePeriod: c.gracePeriod,
            salt: p.salt
        });
        // A memory struct of value types is laid out like its abi.encode: eleven words, in order.
        assembly ("memory-safe") {
            id := keccak256(terms, 0x160)
        }
        if (_rentals[id].status != RentalStatus.None) revert Errors.GpuEscrow_RentalExists(id);
        _rentals[id] =
            RentalState({deposit: p.deposit, paidSeconds: 0, lastSeq: 0, stoppedAt: 0, status: RentalStatus.Active});
        _emitOpened(id, terms, p.deposit, accessKey);
    }

    /// @dev `emit RentalOpened(...)` written out: the terms after renter and offerId are already laid out in memory as
    /// the event's first nine data words, so they are copied as one block; then the deposit and the access key as ABI
    /// `bytes` (offset, length, zero-padded content). The same bytes as the Solidity `emit`, about 1.4k gas less.
    function _emitOpened(bytes32 id, RentalTerms memory terms, uint96 deposit, bytes calldata accessKey) private {
        bytes32 topic0 = RentalOpened.selector;
        address renter = terms.renter;
        uint64 offerId = terms.offerId;
        assembly ("memory-safe") {
            let m := mload(0x40)
            // token, pricePerHour, attester, startedAt, feeBps, slaBps, challengeWindow, gracePeriod, salt
            mcopy(m, add(terms, 0x40), 0x120)
            mstore(add(m, 0x120), deposit)
            mstore(add(m, 0x140), 0x160)
            let len := accessKey.length
            mstore(add(m, 0x160), len)
            let padded := and(add(len, 31), not(31))
            // Zero the last word first: the key's padding must be zeros whatever this memory held.
            mstore(add(add(m, 0x160), padded), 0)
            calldatacopy(add(m, 0x180), accessKey.offset, len)
            log4(m, add(0x180, padded), topic0, id, renter, offerId)
        }
    }

    /// @dev Settles an ended rental with `usage` if the caller may do so now; else returns why not. The renter may
    /// settle at once, anyone else after the challenge window; nobody past the grace period.
    function _settleDue(
        bytes32 id,
        RentalTerms calldata terms,
        RentalState memory s,
        Usage calldata usage,
        bytes calldata signature
    ) private returns (bytes memory err) {
        uint256 end = _endOf(terms, s);
        if (block.timestamp < end) return ErrorData.encode(Errors.GpuEscrow_RentalNotEnded.selector, id, end);
        if (msg.sender != terms.renter) {
            uint256 settleableAt = end + terms.challengeWindow;
            if (block.timestamp < settleableAt) {
                return ErrorData.encode(Errors.GpuEscrow_ChallengeWindowOpen.selector, id, settleableAt);
            }
        }
        err = _deadlineError(id, terms, end);
        if (err.length == 0) err = _trySettle(id, terms, s, end, usage, signature, true);
    }

    /// @dev Settles the rental at `end` with `usage` if it is a valid next attestation (and, when `final_`, covers
    /// the end: checked after its other rules, as before); else returns why not. Pays the provider and treasury for the billed seconds not yet paid, refunds
    /// the rest, closes the rental. Seconds between the attestation's periodEnd and `end` (a renter's stop with an
    /// older attestation) count as delivered; a final attestation has none.
    function _trySettle(
        bytes32 id,
        RentalTerms calldata terms,
        RentalState memory s,
        uint256 end,
        Usage calldata usage,
        bytes calldata signature,
        bool final_
    ) private returns (bytes memory err) {
        err = _usageError(id, terms, s, usage, signature);
        if (err.length != 0) return err;
        if (final_ && usage.periodEnd < end) {
            return ErrorData.encode(Errors.GpuEscrow_AttestationNotFinal.selector, id, usage.periodEnd, end);
        }
        // end ≥ startedAt: end is startedAt plus covered seconds, or a stop at or after the start; the tail is
        // below end − startedAt since periodEnd ≥ startedAt.
        uint256 wall = end - terms.startedAt;
        uint256 billed = usage.uptimeSeconds;
        if (end > usage.periodEnd) billed += end - usage.periodEnd;
        if (billed > wall) billed = wall;
        (uint256 cost, uint256 net, uint256 fee, uint256 credit, uint256 refund_) =
            Billing.settlement(terms.pricePerHour, terms.feeBps, terms.slaBps, s.deposit, s.paidSeconds, billed, wall);
        delete _rentals[id];
        _close(terms, net, fee, wall, billed, true);
        _emitSettled(id, billed, end, cost, refund_, credit);
        _payOrCredit(terms.token, terms.renter, refund_);
    }

    /// @dev `emit RentalSettled(id, billed, end, cost, refund_, credit)` written out: five data words at the free
    /// memory pointer. billed ≤ end − startedAt and end < 2^41 (a uint40 start plus at most a uint32 maxDuration, or
    /// an earlier stop), so both already are their uint64 encoding. The same bytes as the Solidity `emit`, about 35
    /// gas less.
    function _emitSettled(bytes32 id, uint256 billed, uint256 end, uint256 cost, uint256 refund_, uint256 credit)
        private
    {
        bytes32 topic0 = RentalSettled.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, billed)
            mstore(add(m, 0x20), end)
            mstore(add(m, 0x40), cost)
            mstore(add(m, 0x60), refund_)
            mstore(add(m, 0x80), credit)
            log2(m, 0xa0, topic0, id)
        }
    }

    /// @dev Closes a rental without a final attestation: the provider keeps what checkpoints paid, the renter gets
    /// the rest of the deposit back (the held-back SLA share included).
    function _refund(bytes32 id, RentalTerms calldata terms, RentalState memory s) private {
        uint256 amount = s.deposit - Billing.paidOut(terms.pricePerHour, terms.feeBps, terms.slaBps, s.paidSeconds);
        delete _rentals[id];
        _close(terms, 0, 0, 0, 0, false);
        emit RentalRefunded(id, amount);
        _payOrCredit(terms.token, terms.renter, amount);
    }

    function _deadlineError(bytes32 id, RentalTerms calldata terms, uint256 end)
        private
        view
        returns (bytes memory err)
    {
        uint256 deadline = end + terms.gracePeriod;
        if (block.timestamp > deadline) {
            err = ErrorData.encode(Errors.GpuEscrow_SettlementDeadlinePassed.selector, id, deadline);
        }
    }

    /// @dev Stops a running rental now.
    function _stopNow(bytes32 id, RentalTerms calldata terms) private {
        RentalState memory s = _activeRental(id);
        _requireRunning(id, terms, s);
        _rentals[id].stoppedAt = uint40(block.timestamp);
        emit RentalStopped(id, msg.sender, uint40(block.timestamp));
    }

    /// @dev Accrues the last payment of a closing rental, adds a settled one to the offer's record, and gives back
    /// its unit of capacity: one slot write.
    function _close(RentalTerms calldata terms, uint256 net, uint256 fee, uint256 rented, uint256 up, bool settled)
        private
    {
        uint64 offerId = terms.offerId;
        OfferAccount memory m = _accounts[offerId];
        // Every active rental holds one unit of activeRentals, released exactly once, here.
        unchecked {
            m.activeRentals -= 1;
        }
        _accrue(m, offerId, terms.token, net, fee);
        if (settled) {
            // Saturating counters: each term is below 2^40 (uint32 seconds, a uint24 count) and so each sum below
            // 2^41: nothing wraps, and a counter at its maximum stays there.
            unchecked {
                uint256 completed = uint256(m.completed) + 1;
                uint256 secondsRented = uint256(m.secondsRented) + rented;
                uint256 secondsUp = uint256(m.secondsUp) + up;
                m.completed = uint24(completed > type(uint24).max ? type(uint24).max : completed);
                m.secondsRented = uint40(secondsRented > type(uint40).max ? type(uint40).max : secondsRented);
                m.secondsUp = uint40(secondsUp > type(uint40).max ? type(uint40).max : secondsUp);
            }
        }
        _accounts[offerId] = m;
    }

    /// @dev Adds a payment to the offer's accrued earnings and fees. When either would overflow its field, everything
    /// accrued, this payment included, is credited to the provider's payout address and the treasury instead.
    function _accrue(OfferAccount memory m, uint64 offerId, address token, uint256 net, uint256 fee) private {
        uint256 newNet = uint256(m.net) + net;
        uint256 newFees = uint256(m.fees) + fee;
        if (newNet > type(uint64).max || newFees > type(uint64).max) {
            address payout = _providers[_offers[offerId].provider].payout;
            _credit[payout][token] += newNet;
            _credit[_treasury][token] += newFees;
            emit Credited(payout, token, newNet);
            emit Credited(_treasury, token, newFees);
            (newNet, newFees) = (0, 0);
        }
        m.net = uint64(newNet);
        m.fees = uint64(newFees);
    }

    function _requireDisputeModule() private view {
        if (msg.sender != _disputeModule) revert Errors.GpuEscrow_NotDisputeModule(msg.sender);
    }

    function _activeRental(bytes32 id) private view returns (RentalState memory s) {
        s = _rentals[id];
        if (s.status != RentalStatus.Active) revert Errors.GpuEscrow_RentalNotActive(id, s.status);
    }

    function _requireRunning(bytes32 id, RentalTerms calldata terms, RentalState memory s) private view {
        uint256 end = _endOf(terms, s);
        if (block.timestamp >= end) revert Errors.GpuEscrow_RentalEnded(id, end);
    }

    /// @dev The earliest of the stop/termination/freeze time and the moment the deposit is used up.
    function _endOf(RentalTerms calldata terms, RentalState memory s) private pure returns (uint256 end) {
        return RentalQuote.endOf(terms.startedAt, terms.pricePerHour, s.deposit, s.stoppedAt);
    }

    /// @dev keccak256(abi.encode(terms)) straight from calldata, where a struct of value types already is its ABI
    /// encoding (eleven words). Words with dirty high bits hash to an id no rental has, and reading such a field
    /// reverts anyway.
    function _rentalId(RentalTerms calldata terms) private pure returns (bytes32 id) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, terms, 0x160)
            id := keccak256(m, 0x160)
        }
    }
}
