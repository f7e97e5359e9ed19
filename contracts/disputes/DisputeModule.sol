// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {CreditLedger} from "../abstracts/CreditLedger.sol";
import {IArbitrator} from "../interfaces/IArbitrator.sol";
import {IDisputeModule} from "../interfaces/IDisputeModule.sol";
import {IGpuEscrow} from "../interfaces/IGpuEscrow.sol";
import {Billing} from "../libraries/Billing.sol";
import {RentalQuote} from "../libraries/RentalQuote.sol";
import {SignatureCheck} from "../libraries/SignatureCheck.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {
    Offer,
    OfferAccount,
    OfferStanding,
    RentalState,
    RentalStatus,
    RentalTerms,
    Usage
} from "../types/DataTypes.sol";
import {DisputeModuleErrors as Errors} from "./DisputeModuleErrors.sol";

/// @title DisputeModule
/// @notice Provider bonds, objective and arbitrated disputes, and reputation for one `GpuEscrow`. The rules are in
/// `IDisputeModule`.
contract DisputeModule is IDisputeModule, Ownable2Step, CreditLedger {
    uint256 public constant override CHOICES = 10_001;
    uint256 public constant override EQUIVOCATION_SLASH_BPS = 10_000;
    uint256 public constant override WRONG_GPU_SLASH_BPS = 2000;
    uint256 public constant override SLASH_BOUNTY_BPS = 1000;
    uint256 public constant override SLASH_RENTER_BPS = 5000;
    uint256 public constant override TERMINATION_PENALTY_BPS = 1000;
    /// @dev The escrow's longest challenge window (`EscrowGovernance.MAX_CHALLENGE_WINDOW`).
    uint256 internal constant MAX_CHALLENGE_WINDOW = 7 days;
    uint256 internal constant MAX_RULING_PERIOD = 90 days;
    uint256 internal constant HALF_BPS = 5000;

    IGpuEscrow internal immutable _escrow;
    IArbitrator public immutable override arbitrator;
    uint256 public immutable override rulingPeriod;
    uint256 public immutable override UNBONDING_DELAY;
    bytes internal _arbitratorExtraData;

    mapping(address token => uint256) public override minBond;
    mapping(address token => uint256) public override disputeBond;
    mapping(address provider => mapping(address token => BondAccount)) internal _bonds;
    mapping(bytes32 rentalId => Dispute) internal _disputes;
    mapping(uint256 arbitratorDisputeId => bytes32 rentalId) public override rentalOfDispute;
    mapping(bytes32 rentalId => bool) public override rated;

    /// @dev This module's part of each provider's reputation.
    struct Record {
        uint32 disputesOpened;
        uint32 disputesLost;
        uint32 slashes;
        uint32 terminations;
        uint32 ratingCount;
        uint64 ratingSum;
    }

    mapping(address provider => Record) internal _records;
    mapping(address provider => uint64[] offerIds) internal _offersOf;

    /// @param escrow_ The escrow this module serves; it must then be given this module (`setDisputeModule`).
    /// @param arbitrator_ The ERC-792 arbitrator of subjective disputes.
    /// @param arbitratorExtraData Passed to the arbitrator with each dispute (e.g. a court id); may be empty.
    /// @param rulingPeriod_ Seconds the arbitrator has to rule (1 s to 90 days).
    /// @param unbondingDelay Seconds between an unbond request and the withdrawal; more than the longest challenge
    /// window plus the ruling period.
    constructor(
        address owner_,
        address escrow_,
        IArbitrator arbitrator_,
        bytes memory arbitratorExtraData,
        uint256 rulingPeriod_,
        uint256 unbondingDelay
    ) Ownable(owner_) {
        if (escrow_ == address(0) || address(arbitrator_) == address(0)) {
            revert Errors.DisputeModule_ZeroAddress();
        }
        if (rulingPeriod_ == 0 || rulingPeriod_ > MAX_RULING_PERIOD) {
            revert Errors.DisputeModule_InvalidRulingPeriod(rulingPeriod_);
        }
        uint256 minDelay = MAX_CHALLENGE_WINDOW + rulingPeriod_ + 1;
        if (unbondingDelay < minDelay) revert Errors.DisputeModule_UnbondingDelayTooShort(unbondingDelay, minDelay);
        _escrow = IGpuEscrow(escrow_);
        arbitrator = arbitrator_;
        _arbitratorExtraData = arbitratorExtraData;
        rulingPeriod = rulingPeriod_;
        UNBONDING_DELAY = unbondingDelay;
    }

    /// @dev The escrow pays out a resolved native-coin rental's deposit here.
    receive() external payable {
        if (msg.sender != address(_escrow)) revert Errors.DisputeModule_NotEscrow(msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 BONDS
    //////////////////////////////////////////////////////////////*/

    function bond(address token, uint256 amount) external payable override nonReentrant {
        if (amount == 0) revert Errors.DisputeModule_ZeroAmount();
        BondAccount storage b = _bonds[msg.sender][token];
        uint256 total = b.amount + amount;
        b.amount = SafeCast.toUint128(total);
        emit Bonded(msg.sender, token, amount, total);
        TokenTransfer.pullExact(token, msg.sender, amount);
    }

    function requestUnbond(address token, uint256 amount) external override {
        BondAccount storage b = _bonds[msg.sender][token];
        if (amount == 0) revert Errors.DisputeModule_ZeroAmount();
        if (amount > b.amount) revert Errors.DisputeModule_InsufficientBond(msg.sender, token, amount, b.amount);
        if (b.amount - amount < minBond[token]) _requireNoExposure(msg.sender, token);
        uint256 unbondableAt = block.timestamp + UNBONDING_DELAY;
        b.unbonding = uint128(amount);
        b.unbondableAt = uint40(unbondableAt);
        emit UnbondRequested(msg.sender, token, amount, unbondableAt);
    }

    function withdrawBond(address token) external override nonReentrant {
        BondAccount storage b = _bonds[msg.sender][token];
        uint256 amount = b.unbonding;
        if (amount == 0) revert Errors.DisputeModule_NothingUnbonding(msg.sender, token);
        if (block.timestamp < b.unbondableAt) revert Errors.DisputeModule_UnbondingNotDue(b.unbondableAt);
        if (b.openDisputes != 0) revert Errors.DisputeModule_BondAtStake(msg.sender, token, b.openDisputes);
        // unbonding ≤ amount always holds: slashes lower `unbonding` with `amount`.
        b.amount -= uint128(amount);
        b.unbonding = 0;
        b.unbondableAt = 0;
        emit BondWithdrawn(msg.sender, token, amount);
        TokenTransfer.push(token, msg.sender, amount);
    }

    function onOfferCreated(address provider, address token, uint64 offerId) external override {
        if (msg.sender != address(_escrow)) revert Errors.DisputeModule_NotEscrow(msg.sender);
        BondAccount storage b = _bonds[provider][token];
        uint256 bonded = b.amount - b.unbonding;
        uint256 min = minBond[token];
        if (bonded < min) revert Errors.DisputeModule_BondBelowMinimum(provider, token, bonded, min);
        _offersOf[provider].push(offerId);
    }

    /*//////////////////////////////////////////////////////////////
                          OBJECTIVE DISPUTES
    //////////////////////////////////////////////////////////////*/

    function proveEquivocation(
        RentalTerms calldata terms,
        Usage calldata a,
        bytes calldata signatureA,
        Usage calldata b,
        bytes calldata signatureB
    ) external override nonReentrant {
        bytes32 id = _liveRental(terms);
        _requireSigned(id, terms, a, signatureA);
        _requireSigned(id, terms, b, signatureB);
        bool contradiction;
        if (a.seq == b.seq) contradiction = keccak256(abi.encode(a)) != keccak256(abi.encode(b));
        else if (a.seq < b.seq) contradiction = b.uptimeSeconds < a.uptimeSeconds;
        else contradiction = a.uptimeSeconds < b.uptimeSeconds;
        if (!contradiction) revert Errors.DisputeModule_NotContradictory(id);

        address provider = _escrow.offer(terms.offerId).provider;
        emit EquivocationProven(id, provider, a.seq, b.seq);
        _punish(id, terms, provider, EQUIVOCATION_SLASH_BPS);
    }

    function proveWrongGpu(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        bytes32 id = _liveRental(terms);
        Offer memory o = _escrow.offer(terms.offerId);
        if (usage.gpuModelHash == o.gpuModelHash) revert Errors.DisputeModule_GpuModelMatches(id, o.gpuModelHash);
        _requireSigned(id, terms, usage, signature);
        emit WrongGpuProven(id, o.provider, usage.gpuModelHash);
        _punish(id, terms, o.provider, WRONG_GPU_SLASH_BPS);
    }

    function onTerminated(RentalTerms calldata terms, address provider, uint256 elapsedCost)
        external
        override
        nonReentrant
    {
        if (msg.sender != address(_escrow)) revert Errors.DisputeModule_NotEscrow(msg.sender);
        ++_records[provider].terminations;
        BondAccount storage b = _bonds[provider][terms.token];
        uint256 penalty = elapsedCost * TERMINATION_PENALTY_BPS / Billing.BPS;
        if (penalty > b.amount) penalty = b.amount;
        _takeFromBond(b, penalty);
        emit TerminationPenalized(_rentalId(terms), provider, penalty);
        _syncOffer(terms.offerId, provider, terms.token);
        _payOrCredit(terms.token, terms.renter, penalty);
    }

    /*//////////////////////////////////////////////////////////////
                          SUBJECTIVE DISPUTES
    //////////////////////////////////////////////////////////////*/

    function openDispute(RentalTerms calldata terms, string calldata evidenceURI)
        external
        payable
        override
        nonReentrant
        returns (uint256 arbitratorDisputeId)
    {
        bytes32 id = _rentalId(terms);
        RentalState memory s = _escrow.rentalState(id);
        if (s.status != RentalStatus.Active) revert Errors.DisputeModule_RentalNotLive(id, s.status);
        address provider = _escrow.offer(terms.offerId).provider;
        if (msg.sender != terms.renter && msg.sender != provider) revert Errors.DisputeModule_NotParty(id, msg.sender);
        uint256 end = RentalQuote.endOf(terms.startedAt, terms.pricePerHour, s.deposit, s.stoppedAt);
        uint256 closesAt = end + terms.challengeWindow;
        if (block.timestamp >= closesAt) revert Errors.DisputeModule_DisputeWindowClosed(id, closesAt);

        bytes memory extraData = _arbitratorExtraData;
        uint256 fee = arbitrator.arbitrationCost(extraData);
        uint256 bond_ = disputeBond[terms.token];
        uint256 expectedValue = terms.token == TokenTransfer.NATIVE ? fee + bond_ : fee;
        if (msg.value != expectedValue) revert Errors.DisputeModule_ValueMismatch(expectedValue, msg.value);

        uint256 deadline = block.timestamp + rulingPeriod;
        _disputes[id] = Dispute({
            opener: msg.sender,
            deadline: uint40(deadline),
            status: DisputeStatus.Open,
            ruling: 0,
            provider: provider,
            bond: uint96(bond_),
            arbitratorDisputeId: 0
        });
        ++_bonds[provider][terms.token].openDisputes;
        ++_records[provider].disputesOpened;
        _escrow.freeze(terms);
        if (terms.token != TokenTransfer.NATIVE && bond_ != 0) {
            TokenTransfer.pullExactErc20(terms.token, msg.sender, bond_);
        }
        arbitratorDisputeId = arbitrator.createDispute{value: fee}(CHOICES, extraData);
        _disputes[id].arbitratorDisputeId = arbitratorDisputeId;
        rentalOfDispute[arbitratorDisputeId] = id;
        emit DisputeOpened(id, arbitratorDisputeId, msg.sender, bond_, deadline, evidenceURI);
    }

    function submitEvidence(RentalTerms calldata terms, string calldata evidenceURI) external override {
        bytes32 id = _rentalId(terms);
        Dispute storage d = _disputes[id];
        if (d.status != DisputeStatus.Open) revert Errors.DisputeModule_NoDispute(id);
        if (msg.sender != terms.renter && msg.sender != d.provider) {
            revert Errors.DisputeModule_NotParty(id, msg.sender);
        }
        emit EvidenceSubmitted(id, msg.sender, evidenceURI);
    }

    function rule(uint256 disputeID, uint256 ruling) external override {
        if (msg.sender != address(arbitrator)) revert Errors.DisputeModule_NotArbitrator(msg.sender);
        bytes32 id = rentalOfDispute[disputeID];
        Dispute storage d = _disputes[id];
        if (d.status == DisputeStatus.None || d.arbitratorDisputeId != disputeID) {
            revert Errors.DisputeModule_UnknownArbitratorDispute(disputeID);
        }
        if (d.status != DisputeStatus.Open) revert Errors.DisputeModule_AlreadyRuled(id);
        if (block.timestamp >= d.deadline) revert Errors.DisputeModule_RulingAfterDeadline(id, d.deadline);
        if (ruling > CHOICES) revert Errors.DisputeModule_RulingOutOfRange(ruling, CHOICES);
        d.status = DisputeStatus.Ruled;
        d.ruling = uint16(ruling);
        // A refusal applies the fallback from now: the deadline is when the fallback starts.
        if (ruling == 0) d.deadline = uint40(block.timestamp);
        emit Ruling(arbitrator, disputeID, ruling);
    }

    function executeRuling(RentalTerms calldata terms) external override nonReentrant {
        bytes32 id = _rentalId(terms);
        Dispute memory d = _disputes[id];
        if (d.status == DisputeStatus.None) revert Errors.DisputeModule_NoDispute(id);
        if (d.status == DisputeStatus.Ruled && d.ruling != 0) {
            uint256 share = d.ruling - 1;
            // The opener loses its bond when its side got less than half.
            bool openerLost = d.opener == terms.renter ? share < HALF_BPS : share > HALF_BPS;
            address bondTo = openerLost ? (d.opener == terms.renter ? d.provider : terms.renter) : d.opener;
            if (share > HALF_BPS) ++_records[d.provider].disputesLost;
            _closeDispute(id, terms.token, d);
            emit DisputeResolved(id, share, false, bondTo);
            _resolve(terms, d.provider, share);
            _payOrCredit(terms.token, bondTo, d.bond);
            return;
        }
        _requireFallback(id, d);
        // No final attestation was brought in the grace period after the fallback began: the refund rules.
        uint256 refundableAt = uint256(d.deadline) + terms.gracePeriod + 1;
        if (block.timestamp < refundableAt) revert Errors.DisputeModule_FallbackNeedsAttestation(id, refundableAt);
        Usage memory none;
        _fallBack(id, terms, d, none, "");
    }

    function settleFallback(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        external
        override
        nonReentrant
    {
        bytes32 id = _rentalId(terms);
        Dispute memory d = _disputes[id];
        if (d.status == DisputeStatus.None) revert Errors.DisputeModule_NoDispute(id);
        if (signature.length == 0) revert Errors.DisputeModule_InvalidSignature(id, terms.attester);
        _requireFallback(id, d);
        _fallBack(id, terms, d, usage, signature);
    }

    function syncOffer(uint64 offerId) external override {
        Offer memory o = _escrow.offer(offerId);
        _syncOffer(offerId, o.provider, o.token);
    }

    /*//////////////////////////////////////////////////////////////
                                RATINGS
    //////////////////////////////////////////////////////////////*/

    function rate(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature, uint8 score)
        external
        override
    {
        bytes32 id = _rentalId(terms);
        if (msg.sender != terms.renter) revert Errors.DisputeModule_NotRenter(id, msg.sender);
        if (score == 0 || score > 5) revert Errors.DisputeModule_InvalidScore(score);
        if (_escrow.rentalState(id).status != RentalStatus.None) revert Errors.DisputeModule_RentalNotClosed(id);
        if (rated[id]) revert Errors.DisputeModule_AlreadyRated(id);
        // The attester in the terms signed for this rental; rotating the offer's attester since changes nothing.
        _requireSigned(id, terms, usage, signature);
        rated[id] = true;
        address provider = _escrow.offer(terms.offerId).provider;
        Record storage r = _records[provider];
        ++r.ratingCount;
        r.ratingSum += score;
        emit Rated(id, provider, score);
    }

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    function setMinBond(address token, uint256 amount) external override onlyOwner {
        minBond[token] = amount;
        emit MinBondSet(token, amount);
    }

    function setDisputeBond(address token, uint256 amount) external override onlyOwner {
        if (amount > type(uint96).max) revert Errors.DisputeModule_DisputeBondTooLarge(amount, type(uint96).max);
        disputeBond[token] = amount;
        emit DisputeBondSet(token, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function escrow() external view override returns (address) {
        return address(_escrow);
    }

    function bondOf(address provider, address token) external view override returns (BondAccount memory) {
        return _bonds[provider][token];
    }

    function offersOf(address provider) external view override returns (uint64[] memory) {
        return _offersOf[provider];
    }

    function dispute(bytes32 rentalId) external view override returns (Dispute memory) {
        return _disputes[rentalId];
    }

    function reputation(address provider) external view override returns (Reputation memory rep) {
        uint64[] memory offers = _offersOf[provider];
        for (uint256 i; i < offers.length; ++i) {
            OfferAccount memory a = _escrow.offerAccount(offers[i]);
            rep.rentalsCompleted += a.completed;
            rep.secondsRented += a.secondsRented;
            rep.secondsUp += a.secondsUp;
        }
        Record memory r = _records[provider];
        rep.disputesOpened = r.disputesOpened;
        rep.disputesLost = r.disputesLost;
        rep.slashes = r.slashes;
        rep.terminations = r.terminations;
        rep.ratingCount = r.ratingCount;
        rep.ratingSum = r.ratingSum;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The id of an active or frozen rental with these terms (the terms are then the real ones).
    function _liveRental(RentalTerms calldata terms) private view returns (bytes32 id) {
        id = _rentalId(terms);
        RentalStatus status = _escrow.rentalState(id).status;
        if (status == RentalStatus.None) revert Errors.DisputeModule_RentalNotLive(id, status);
    }

    function _requireSigned(bytes32 id, RentalTerms calldata terms, Usage calldata usage, bytes calldata signature)
        private
        view
    {
        bytes32 digest = _escrow.attestationDigest(terms, usage);
        if (!SignatureCheck.isValidNow(terms.attester, digest, signature)) {
            revert Errors.DisputeModule_InvalidSignature(id, terms.attester);
        }
    }

    /// @dev Full refund of what is not yet paid out, and a slash of `slashBps` of the provider's bond. A subjective
    /// dispute on the rental ends without a ruling: its bond goes back to the opener.
    function _punish(bytes32 id, RentalTerms calldata terms, address provider, uint256 slashBps) private {
        Dispute memory d = _disputes[id];
        if (d.status != DisputeStatus.None) _closeDispute(id, terms.token, d);
        ++_records[provider].slashes;
        BondAccount storage b = _bonds[provider][terms.token];
        uint256 amount = uint256(b.amount) * slashBps / Billing.BPS;
        _takeFromBond(b, amount);
        uint256 bounty = amount * SLASH_BOUNTY_BPS / Billing.BPS;
        uint256 toRenter = amount * SLASH_RENTER_BPS / Billing.BPS;
        emit Slashed(id, provider, terms.token, amount, msg.sender, bounty, toRenter);

        _syncOffer(terms.offerId, provider, terms.token);
        _resolve(terms, provider, Billing.BPS);
        if (d.status != DisputeStatus.None) _payOrCredit(terms.token, d.opener, d.bond);
        _payOrCredit(terms.token, msg.sender, bounty);
        _payOrCredit(terms.token, terms.renter, toRenter);
        // bounty + toRenter ≤ amount: the two shares add up to at most 60 %.
        _payOrCredit(terms.token, _escrow.treasury(), amount - bounty - toRenter);
    }

    /// @dev Closes the rental in the escrow, which returns the deposit for the seconds after its end to the renter,
    /// and splits what is at stake (the cost of the seconds before it not yet paid out): `renterShareBps` (rounded
    /// down) to the renter, the rest to the provider's payout address less the rental's fee, which goes to the
    /// treasury.
    function _resolve(RentalTerms calldata terms, address provider, uint256 renterShareBps) private {
        uint256 amount = _escrow.resolve(terms);
        uint256 toRenter = amount * renterShareBps / Billing.BPS;
        uint256 toProvider = amount - toRenter;
        // feeBps ≤ 1 500 (the escrow's cap), so the fee never exceeds the provider's share.
        uint256 fee = Billing.fee(toProvider, terms.feeBps);
        emit OutcomePaid(_rentalId(terms), toRenter, toProvider - fee, fee);
        _payOrCredit(terms.token, terms.renter, toRenter);
        _payOrCredit(terms.token, _escrow.provider(provider).payout, toProvider - fee);
        _payOrCredit(terms.token, _escrow.treasury(), fee);
    }

    /// @dev Reverts unless the dispute fell back to the billing rules: refused (ruling 0) or no ruling by the deadline.
    function _requireFallback(bytes32 id, Dispute memory d) private view {
        if (d.status == DisputeStatus.Ruled) {
            if (d.ruling != 0) revert Errors.DisputeModule_NoFallback(id);
        } else if (block.timestamp < d.deadline) {
            revert Errors.DisputeModule_RulingPending(id, d.deadline);
        }
    }

    /// @dev Ends a dispute nobody ruled on: the escrow settles the rental with `usage` as `settle` would at the
    /// frozen end, or refunds it when `signature` is empty; the opener gets its bond back.
    function _fallBack(
        bytes32 id,
        RentalTerms calldata terms,
        Dispute memory d,
        Usage memory usage,
        bytes memory signature
    ) private {
        _closeDispute(id, terms.token, d);
        emit DisputeResolved(id, 0, true, d.opener);
        _escrow.release(terms, usage, signature);
        _payOrCredit(terms.token, d.opener, d.bond);
    }

    /// @dev Suspends the offer while its provider's bond in `token` (what is not being unbonded) is below the
    /// minimum, and reinstates it once it is not.
    function _syncOffer(uint64 offerId, address provider, address token) private {
        BondAccount storage b = _bonds[provider][token];
        bool below = b.amount - b.unbonding < minBond[token];
        if (below != (_escrow.offerAccount(offerId).standing == OfferStanding.Suspended)) {
            _escrow.setOfferSuspended(offerId, below);
        }
    }

    /// @dev The escrow's id of a rental: keccak256 of its terms' ABI encoding (`IRentals`).
    function _rentalId(RentalTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    function _closeDispute(bytes32 id, address token, Dispute memory d) private {
        delete _disputes[id];
        delete rentalOfDispute[d.arbitratorDisputeId];
        --_bonds[d.provider][token].openDisputes;
    }

    /// @dev Lowers the bond by `amount` (≤ bond); a pending unbond shrinks with it.
    function _takeFromBond(BondAccount storage b, uint256 amount) private {
        uint128 left = b.amount - uint128(amount);
        b.amount = left;
        if (b.unbonding > left) b.unbonding = left;
    }

    /// @dev Reverts unless every offer of `provider` in `token` is retired with no rental running.
    function _requireNoExposure(address provider, address token) private view {
        uint64[] memory offers = _offersOf[provider];
        for (uint256 i; i < offers.length; ++i) {
            Offer memory o = _escrow.offer(offers[i]);
            if (o.token != token) continue;
            if (!o.retired || _escrow.offerAccount(offers[i]).activeRentals != 0) {
                revert Errors.DisputeModule_BondInUse(offers[i]);
            }
        }
    }

    function _revertZeroAddress() internal pure override {
        revert Errors.DisputeModule_ZeroAddress();
    }

    function _revertInsufficientCredit(address account, address token, uint256 requested, uint256 available)
        internal
        pure
        override
    {
        revert Errors.DisputeModule_InsufficientCredit(account, token, requested, available);
    }
}
