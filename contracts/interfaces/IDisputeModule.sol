// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms, Usage} from "../types/DataTypes.sol";
import {IArbitrable} from "./IArbitrable.sol";
import {IArbitrator} from "./IArbitrator.sol";
import {ICreditLedger} from "./ICreditLedger.sol";
import {IDisputeHooks} from "./IDisputeHooks.sol";

/// @title IDisputeModule
/// @notice Provider bonds, disputes and reputation for one `GpuEscrow`. The escrow lets this contract, and only it,
/// freeze a rental and close it by a dispute outcome (`IRentals.freeze`, `IRentals.resolve`); the happy path
/// (open, settle) never calls it.
///
/// Bonds:
/// - A provider posts a bond per token (`bond`). An offer in a token needs at least `minBond(token)` not being
///   unbonded (checked by the escrow's `createOffer`).
/// - Unbonding is a request (`requestUnbond`) and, `UNBONDING_DELAY` later, a withdrawal (`withdrawBond`). The delay
///   is longer than any challenge window (at most 7 days) plus the ruling period, so a rental's disputes end before
///   the bond that answers for them can leave. A request that would leave less than the minimum needs every offer of
///   the provider in that token retired with no rental running. Nothing is withdrawn while a dispute is open on one
///   of the provider's rentals in that token. Nobody else, the owner included, can move a bond except by the rules
///   below.
///
/// Objective disputes, proven by anyone with the evidence, no arbitrator:
/// - Equivocation (`proveEquivocation`): two attestations of one live rental, both signed by its attester, that
///   contradict each other (same seq and different content, or a higher seq with lower uptime). The renter gets back
///   everything not yet paid out, and the provider's whole bond in the rental's token is slashed.
/// - Wrong GPU (`proveWrongGpu`): a signed attestation of a live rental whose GPU model hash is not the offer's. Full
///   refund as above, and WRONG_GPU_SLASH_BPS of the bond is slashed.
/// - A slash pays SLASH_BOUNTY_BPS to whoever proved it, SLASH_RENTER_BPS to the renter, the rest to the treasury.
/// - Terminating a running on-demand rental (`IRentals.terminate`) costs the provider TERMINATION_PENALTY_BPS of the
///   cost of the time rented until then (at most its bond), paid to the renter, and counts in its reputation. The
///   base is fixed by time alone: a top-up the renter lands in front of the termination does not raise it.
/// - An offer whose provider's bond in its token (not counting what is being unbonded) is below `minBond` takes no
///   new rentals: a slash or penalty suspends the offer of the rental at hand in the same transaction; anyone
///   suspends the provider's other offers, or reinstates them once the bond is back, with `syncOffer`.
/// - SLA credits need no dispute: the escrow applies them at settlement (`IRentals`).
///
/// Subjective disputes (`openDispute`), renter or provider, while the rental is live and until its end plus the
/// challenge window:
/// - The opener posts `disputeBond(token)` in the rental's token and pays the arbitrator's fee; the rental is frozen.
/// - Freezing stops the rental's clock (`IRentals.freeze`): the dispute concerns only the seconds before it, and the
///   deposit for later seconds goes back to the renter whatever happens.
/// - The arbitrator (ERC-792, `CHOICES` = 10 001) rules before the deadline (`rulingPeriod` after opening): a ruling
///   r ≥ 1 gives the renter r − 1 bps of what is at stake (the cost of the seconds before the freeze not yet paid
///   out), the provider the rest (fee taken from it). Anyone executes it (`executeRuling`).
/// - r = 0 (refused) or no ruling by the deadline is the fallback: the billing rules apply as if no dispute had been
///   opened, and the opener's bond comes back. From then, anyone settles the rental with a final attestation
///   (`settleFallback`, as `IRentals.settle`); without one by the fallback's start + the rental's grace period,
///   anyone closes it by the refund rules (`executeRuling`). Opening a dispute nobody rules on gains nothing.
/// - The loser's dispute bond goes to the winner: an opener whose side got less than half loses it to the other
///   party; otherwise it goes back to the opener.
///
/// Deployment: the constructor reverts with `DisputeModule_ZeroAddress` (no escrow or arbitrator),
/// `DisputeModule_InvalidRulingPeriod` (not 1 s to 90 days) or `DisputeModule_UnbondingDelayTooShort` (not above the
/// longest challenge window plus the ruling period). Only the escrow may send it the native coin
/// (`DisputeModule_NotEscrow`).
///
/// Credit (`ICreditLedger`, the escrow's ledger): a payment of this module that cannot be pushed (a slash share,
/// penalty, dispute outcome or dispute bond to a blacklisted or reverting receiver) is credited to its receiver, who
/// withdraws it with `withdraw` or `withdrawTo`.
///
/// Reputation: the escrow counts each offer's settled rentals, seconds rented and seconds up at settlement; this
/// contract counts disputes opened and lost, slashes, terminations and ratings (the renter rates 1–5 once per closed
/// rental). `reputation` returns all of them for a provider in one call.
interface IDisputeModule is IDisputeHooks, IArbitrable, ICreditLedger {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @param amount Bonded, including what is being unbonded.
    /// @param unbonding Requested for withdrawal; it still answers for slashes until withdrawn.
    /// @param unbondableAt When `unbonding` may be withdrawn.
    /// @param openDisputes Disputes open on the provider's rentals in this token.
    struct BondAccount {
        uint128 amount;
        uint128 unbonding;
        uint40 unbondableAt;
        uint32 openDisputes;
    }

    enum DisputeStatus {
        None,
        Open,
        Ruled
    }

    /// @param deadline The end of the ruling period; for a refusal (ruling 0), the moment of the refusal: when the
    /// fallback starts.
    /// @param ruling Meaningful when Ruled: 0 refused, r ≥ 1 gives the renter r − 1 bps.
    struct Dispute {
        address opener;
        uint40 deadline;
        DisputeStatus status;
        uint16 ruling;
        address provider;
        uint96 bond;
        uint256 arbitratorDisputeId;
    }

    /// @notice A provider's record: settled rentals, seconds rented and up (from the escrow's offer accounts), and
    /// this module's counters. Average rating = ratingSum ÷ ratingCount.
    struct Reputation {
        uint64 rentalsCompleted;
        uint64 secondsRented;
        uint64 secondsUp;
        uint32 disputesOpened;
        uint32 disputesLost;
        uint32 slashes;
        uint32 terminations;
        uint32 ratingCount;
        uint64 ratingSum;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event MinBondSet(address indexed token, uint256 amount);
    event DisputeBondSet(address indexed token, uint256 amount);
    event Bonded(address indexed provider, address indexed token, uint256 amount, uint256 total);
    event UnbondRequested(address indexed provider, address indexed token, uint256 amount, uint256 unbondableAt);
    event BondWithdrawn(address indexed provider, address indexed token, uint256 amount);
    /// @notice `amount` of `provider`'s bond was slashed: `bounty` to `submitter`, `toRenter`, the rest to the treasury.
    event Slashed(
        bytes32 indexed rentalId,
        address indexed provider,
        address token,
        uint256 amount,
        address submitter,
        uint256 bounty,
        uint256 toRenter
    );
    event EquivocationProven(bytes32 indexed rentalId, address indexed provider, uint64 seqA, uint64 seqB);
    event WrongGpuProven(bytes32 indexed rentalId, address indexed provider, bytes32 attestedModelHash);
    event TerminationPenalized(bytes32 indexed rentalId, address indexed provider, uint256 penalty);
    event DisputeOpened(
        bytes32 indexed rentalId,
        uint256 indexed arbitratorDisputeId,
        address indexed opener,
        uint256 bond,
        uint256 deadline,
        string evidenceURI
    );
    event EvidenceSubmitted(bytes32 indexed rentalId, address indexed party, string evidenceURI);
    /// @notice The dispute on `rentalId` closed: `renterShareBps` of the unpaid deposit went to the renter;
    /// `fallbackApplied` when no usable ruling came; the dispute bond went to `bondTo`.
    /// @dev `renterShareBps` is 0 when `fallbackApplied`: the billing rules decided.
    event DisputeResolved(bytes32 indexed rentalId, uint256 renterShareBps, bool fallbackApplied, address bondTo);
    /// @notice A rental closed by a dispute outcome: what its unpaid deposit paid to the renter, to the provider's
    /// payout address and, as the rental's fee, to the treasury.
    event OutcomePaid(bytes32 indexed rentalId, uint256 toRenter, uint256 toProvider, uint256 fee);
    event Rated(bytes32 indexed rentalId, address indexed provider, uint8 score);

    /*//////////////////////////////////////////////////////////////
                                 BONDS
    //////////////////////////////////////////////////////////////*/

    /// @notice Adds `amount` to the caller's bond in `token` (msg.value for the native coin, address(0)).
    /// @dev Requirements: amount > 0 (`DisputeModule_ZeroAmount`); exactly `amount` arrives
    /// (`GpuEscrow_NativeValueMismatch`, `GpuEscrow_FeeOnTransferToken`).
    /// @param token The bond's token (address(0): the native coin).
    /// @param amount How much to add, in the token's base units.
    function bond(address token, uint256 amount) external payable;

    /// @notice Asks to withdraw `amount` of the caller's bond in `token` after UNBONDING_DELAY. Replaces any earlier
    /// request and restarts the delay.
    /// @dev Requirements: 0 < amount ≤ bond (`DisputeModule_ZeroAmount`, `DisputeModule_InsufficientBond`); if what
    /// stays is below `minBond(token)`, each of the caller's offers in `token` is retired with no rental running
    /// (`DisputeModule_BondInUse(offerId)`).
    /// @param token The bond's token.
    /// @param amount How much to withdraw once the delay has passed.
    function requestUnbond(address token, uint256 amount) external;

    /// @notice Withdraws the caller's unbonding amount in `token` (less whatever was slashed meanwhile).
    /// @dev Requirements: a request exists (`DisputeModule_NothingUnbonding`); its delay passed
    /// (`DisputeModule_UnbondingNotDue`); no dispute open on the caller's rentals in `token`
    /// (`DisputeModule_BondAtStake`). Reverts if the transfer fails (`GpuEscrow_NativeTransferFailed` for the native
    /// coin).
    /// @param token The bond's token.
    function withdrawBond(address token) external;

    /*//////////////////////////////////////////////////////////////
                          OBJECTIVE DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @notice Proves that the rental's attester signed two contradicting attestations. Full refund, whole bond
    /// slashed; the caller earns the bounty. Closes any subjective dispute on the rental (its bond goes back).
    /// @dev Requirements: rental active or frozen (`DisputeModule_RentalNotLive`); both signatures by
    /// `terms.attester`, the attester snapshotted in the rental's terms, ECDSA or ERC-1271
    /// (`DisputeModule_InvalidSignature`; `SignatureCheck_InsufficientGas` when the caller left too little gas for
    /// an ERC-1271 check); a contradiction (`DisputeModule_NotContradictory`).
    /// @param terms The rental's terms.
    /// @param a One attestation.
    /// @param signatureA `terms.attester`'s signature of `a`.
    /// @param b The other attestation: the same seq with other content, or a higher seq with a lower uptime.
    /// @param signatureB `terms.attester`'s signature of `b`.
    function proveEquivocation(
        RentalTerms calldata terms,
        Usage calldata a,
        bytes calldata signatureA,
        Usage calldata b,
        bytes calldata signatureB
    ) external;

    /// @notice Proves that the rental's attester signed an attestation for a GPU model other than the offer's.
    /// Full refund, WRONG_GPU_SLASH_BPS of the bond slashed; the caller earns the bounty.
    /// @dev Requirements: rental active or frozen (`DisputeModule_RentalNotLive`); `usage.gpuModelHash` differs from
    /// the offer's (`DisputeModule_GpuModelMatches`); signature by `terms.attester`
    /// (`DisputeModule_InvalidSignature`, `SignatureCheck_InsufficientGas`).
    /// @param terms The rental's terms.
    /// @param usage The attestation naming another GPU model.
    /// @param signature `terms.attester`'s signature of it.
    function proveWrongGpu(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /*//////////////////////////////////////////////////////////////
                          SUBJECTIVE DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens a dispute on a rental and freezes it. Send the arbitrator's fee (`arbitrationCost`) as
    /// msg.value, plus the dispute bond when the rental's token is the native coin; an ERC-20 bond is pulled.
    /// @dev Requirements: rental active (`DisputeModule_RentalNotLive`); caller is its renter or provider
    /// (`DisputeModule_NotParty`); now < end + challengeWindow (`DisputeModule_DisputeWindowClosed`); exact value
    /// (`DisputeModule_ValueMismatch`); exactly the ERC-20 bond arrives (`GpuEscrow_FeeOnTransferToken`).
    /// @param terms The rental's terms.
    /// @param evidenceURI Where the opener's evidence is (emitted for the arbitrator).
    /// @return arbitratorDisputeId The arbitrator's id of the dispute.
    function openDispute(RentalTerms calldata terms, string calldata evidenceURI)
        external
        payable
        returns (uint256 arbitratorDisputeId);

    /// @notice Adds evidence to an open dispute (emitted for the arbitrator).
    /// @dev Requirements: a dispute open on the rental (`DisputeModule_NoDispute`); caller is the renter or the
    /// provider (`DisputeModule_NotParty`).
    /// @param terms The rental's terms.
    /// @param evidenceURI Where the evidence is.
    function submitEvidence(RentalTerms calldata terms, string calldata evidenceURI) external;

    /// @notice Records the arbitrator's ruling on a dispute; `executeRuling` applies it. Emits `Ruling`.
    /// @dev Requirements: caller is the arbitrator (`DisputeModule_NotArbitrator`); the dispute is open
    /// (`DisputeModule_UnknownArbitratorDispute`, `DisputeModule_AlreadyRuled`) and before its deadline
    /// (`DisputeModule_RulingAfterDeadline`); ruling ≤ CHOICES (`DisputeModule_RulingOutOfRange`).
    /// @param disputeID The arbitrator's id of the dispute.
    /// @param ruling 0 (refused: the fallback applies from now) or r in 1..CHOICES, giving the renter r − 1 bps.
    function rule(uint256 disputeID, uint256 ruling) external override;

    /// @notice Applies a ruling r ≥ 1 (`DisputeResolved` with the renter's share), or, once a fallback has had its
    /// grace period without a final attestation, closes the rental by the refund rules (`DisputeResolved` with
    /// `fallbackApplied`). Anyone may call it.
    /// @dev Requirements: a dispute on the rental (`DisputeModule_NoDispute`) that is ruled or past its deadline
    /// (`DisputeModule_RulingPending`); for a fallback, now > its start + the rental's gracePeriod
    /// (`DisputeModule_FallbackNeedsAttestation`: bring one with `settleFallback`).
    /// @param terms The rental's terms.
    function executeRuling(RentalTerms calldata terms) external;

    /// @notice Settles a rental whose dispute fell back (refused, or no ruling by the deadline) with a final
    /// attestation, exactly as `IRentals.settle` would at the frozen end; the opener's bond comes back. Anyone may
    /// call it.
    /// @dev Requirements: a dispute on the rental (`DisputeModule_NoDispute`); a non-empty signature
    /// (`DisputeModule_InvalidSignature`); the dispute fell back (`DisputeModule_NoFallback`,
    /// `DisputeModule_RulingPending`); the attestation rules of `IRentals.release`: final
    /// (`GpuEscrow_AttestationNotFinal`), seq (`GpuEscrow_StaleSeq`), period (`GpuEscrow_AttestationFromFuture`,
    /// `GpuEscrow_AttestationBeforeStart`), uptime (`GpuEscrow_UptimeExceedsElapsed`, `GpuEscrow_UptimeDecreased`),
    /// signed by `terms.attester` (`GpuEscrow_InvalidAttestationSignature`, `SignatureCheck_InsufficientGas`).
    /// @param terms The rental's terms.
    /// @param usage The final attestation (periodEnd at or after the freeze).
    /// @param signature `terms.attester`'s signature of it.
    function settleFallback(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice Suspends offer `offerId` in the escrow while its provider's bond in the offer's token (not counting
    /// what is being unbonded) is below `minBond`, and reinstates it once it is not. Anyone may call it.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`). Emits the escrow's `OfferSuspended` on a change.
    /// @param offerId The offer.
    function syncOffer(uint64 offerId) external;

    /*//////////////////////////////////////////////////////////////
                                RATINGS
    //////////////////////////////////////////////////////////////*/

    /// @notice The renter rates the provider of a closed rental 1 to 5, once. Any attestation of the rental signed by
    /// its attester proves the rental was real.
    /// @dev Requirements: caller is `terms.renter` (`DisputeModule_NotRenter`); 1 ≤ score ≤ 5
    /// (`DisputeModule_InvalidScore`); the rental is closed (`DisputeModule_RentalNotClosed`) and not yet rated
    /// (`DisputeModule_AlreadyRated`); the signature is by `terms.attester`, the rental's own attester, whatever the
    /// offer's attester is now (`DisputeModule_InvalidSignature`, `SignatureCheck_InsufficientGas`).
    /// @param terms The rental's terms.
    /// @param usage Any attestation of the rental.
    /// @param signature `terms.attester`'s signature of it.
    /// @param score 1 to 5.
    function rate(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature, uint8 score) external;

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @notice Sets the bond an offer in `token` requires, for offers created from now on.
    /// @dev Requirements: owner.
    /// @param token The token.
    /// @param amount The minimum, in the token's base units.
    function setMinBond(address token, uint256 amount) external;

    /// @notice Sets the bond a dispute opener posts in `token`, for disputes opened from now on.
    /// @dev Requirements: owner; amount < 2^96 (`DisputeModule_DisputeBondTooLarge`).
    /// @param token The token.
    /// @param amount The dispute bond, in the token's base units.
    function setDisputeBond(address token, uint256 amount) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Options of a subjective dispute's ruling (ERC-792 `choices`): r in 1..CHOICES gives the renter
    /// r − 1 bps.
    /// @return 10 001.
    function CHOICES() external view returns (uint256);

    /// @notice Share of the bond an equivocation proof slashes.
    /// @return 10 000 bps (all of it).
    function EQUIVOCATION_SLASH_BPS() external view returns (uint256);

    /// @notice Share of the bond a wrong-GPU proof slashes.
    /// @return 2000 bps.
    function WRONG_GPU_SLASH_BPS() external view returns (uint256);

    /// @notice Share of a slash paid to whoever proved it.
    /// @return 1000 bps.
    function SLASH_BOUNTY_BPS() external view returns (uint256);

    /// @notice Share of a slash paid to the renter of the rental at hand.
    /// @return 5000 bps.
    function SLASH_RENTER_BPS() external view returns (uint256);

    /// @notice Share of the cost of the time rented that terminating an on-demand rental costs the provider.
    /// @return 1000 bps.
    function TERMINATION_PENALTY_BPS() external view returns (uint256);

    /// @notice Seconds between an unbond request and the withdrawal.
    /// @return The delay, set at deployment.
    function UNBONDING_DELAY() external view returns (uint256);

    /// @notice The escrow this module serves.
    /// @return Its address.
    function escrow() external view returns (address);

    /// @notice The ERC-792 arbitrator of subjective disputes.
    /// @return The arbitrator.
    function arbitrator() external view returns (IArbitrator);

    /// @notice Seconds the arbitrator has to rule after a dispute opens.
    /// @return The ruling period.
    function rulingPeriod() external view returns (uint256);

    /// @notice The bond, not counting what is being unbonded, an offer in `token` requires.
    /// @param token The token.
    /// @return The minimum, in the token's base units.
    function minBond(address token) external view returns (uint256);

    /// @notice The bond a dispute opener posts in `token`.
    /// @param token The token.
    /// @return The dispute bond, in the token's base units.
    function disputeBond(address token) external view returns (uint256);

    /// @notice `provider`'s bond account in `token`.
    /// @param provider The provider.
    /// @param token The token.
    /// @return Bonded amount, amount being unbonded and when, open disputes.
    function bondOf(address provider, address token) external view returns (BondAccount memory);

    /// @notice The subjective dispute on a rental (status None when there is none).
    /// @param rentalId The rental's id.
    /// @return The dispute.
    function dispute(bytes32 rentalId) external view returns (Dispute memory);

    /// @notice The rental an arbitrator's dispute is about.
    /// @param arbitratorDisputeId The arbitrator's id of the dispute.
    /// @return The rental's id (zero once the dispute closed).
    function rentalOfDispute(uint256 arbitratorDisputeId) external view returns (bytes32);

    /// @notice Whether the renter of a rental rated its provider.
    /// @param rentalId The rental's id.
    /// @return True once rated.
    function rated(bytes32 rentalId) external view returns (bool);

    /// @notice A provider's whole record: the escrow's counters summed over its offers and this module's.
    /// @param provider The provider.
    /// @return The record.
    function reputation(address provider) external view returns (Reputation memory);

    /// @notice Every offer `provider` created, retired ones included, in creation order.
    /// @param provider The provider.
    /// @return The offer ids.
    function offersOf(address provider) external view returns (uint64[] memory);
}
