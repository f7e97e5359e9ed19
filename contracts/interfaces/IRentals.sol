// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OpenParams, Quote, RentalState, RentalTerms, Usage} from "../types/DataTypes.sol";

/// @title IRentals
/// @notice Per-second metered GPU rentals paid from an escrowed deposit.
///
/// Money rules (each is a named test):
/// - A rental ends at the earliest of: the renter's stop, the provider's termination, and the moment its deposit
///   is used up (`startedAt + coveredSeconds(deposit)`). A fixed-duration rental is one whose deposit pays for
///   exactly its duration (`quoteDeposit`).
/// - Billed seconds = min(attested uptime seconds, wall-clock seconds from start to end).
/// - cost(s) = ceil(pricePerHour × s / 3600) on cumulative seconds; fee = ceil(cost × feeBps / 10 000) with the
///   fee snapshotted at open; the provider earns cost − fee, the treasury fee; the renter gets deposit − cost back
///   in the transaction that settles. Checkpoints never change these totals.
/// - SLA credit: when a settled rental's uptime (billed ÷ wall-clock seconds, in bps, rounded down) is below the
///   SLA its offer promised (snapshotted at open), the renter gets back 10 bps of the cost per bps short, at most
///   50 % of the cost, out of the provider's unpaid net; the fee is unchanged.
/// - A refund that cannot be delivered (blacklisted or reverting receiver) is credited to the renter instead.
///
/// A rental is identified by `keccak256(abi.encode(terms))`; its terms are emitted by `RentalOpened` and passed
/// back to every function below. Its mutable state is one storage slot, deleted when the rental closes.
interface IRentals {
    /// @notice Everything needed to rebuild the rental's terms: `RentalTerms(renter, offerId, token, pricePerHour,
    /// attester, startedAt, feeBps, slaBps, challengeWindow, gracePeriod, salt)`, fields in that order, and
    /// the renter's access key (SSH wire format) for the provider's host to provision access with.
    event RentalOpened(
        bytes32 indexed rentalId,
        address indexed renter,
        uint64 indexed offerId,
        address token,
        uint96 pricePerHour,
        address attester,
        uint40 startedAt,
        uint16 feeBps,
        uint16 slaBps,
        uint32 challengeWindow,
        uint32 gracePeriod,
        bytes32 salt,
        uint256 deposit,
        bytes accessKey
    );
    event RentalExtended(bytes32 indexed rentalId, uint256 amount, uint256 deposit);
    event RentalStopped(bytes32 indexed rentalId, address indexed by, uint40 stoppedAt);
    event Checkpointed(bytes32 indexed rentalId, uint64 seq, uint32 paidSeconds, uint256 providerNet, uint256 fee);
    /// @dev fee = ceil(cost × terms.feeBps / 10 000); `refund` includes `slaCredit`; a refund that could not be
    /// delivered also emits `Credited`.
    event RentalSettled(
        bytes32 indexed rentalId, uint64 billedSeconds, uint256 cost, uint256 refund, uint256 slaCredit
    );
    event RentalRefunded(bytes32 indexed rentalId, uint256 refund);
    /// @notice A subjective dispute froze the rental: no settle, checkpoint, refund, extend or stop until resolved.
    event RentalFrozen(bytes32 indexed rentalId);
    /// @notice The dispute module closed the rental and took the `amount` of its deposit not yet paid out, to split
    /// by the dispute's outcome (`IDisputeModule`).
    event RentalResolved(bytes32 indexed rentalId, uint256 amount);

    /// @notice How old an attestation may be when the renter stops and settles with it in one transaction.
    function STOP_ATTESTATION_MAX_AGE() external view returns (uint256);

    /// @notice The longest access key `open` accepts, in bytes (an RSA-4096 SSH key is 535).
    function MAX_ACCESS_KEY_LENGTH() external view returns (uint256);

    /// @notice Opens a rental of `params.offerId`, escrowing `params.deposit` (pulled with `transferFrom` after an
    /// exact `approve`, or sent as `msg.value` when the offer's token is the native coin).
    /// @dev Requirements:
    /// - not paused (`GpuEscrow_Paused`); offer exists, is not retired and below capacity
    ///   (`GpuEscrow_OfferNotFound`, `GpuEscrow_OfferRetired`, `GpuEscrow_OfferAtCapacity`); token still allowed
    ///   (`GpuEscrow_TokenNotAllowed`);
    /// - the deposit pays for a time within the offer's [minDuration, maxDuration]
    ///   (`GpuEscrow_DurationOutOfBounds`);
    /// - exactly `deposit` arrives: `msg.value` for the native coin, none otherwise (`GpuEscrow_NativeValueMismatch`);
    ///   fee-on-transfer tokens are refused (`GpuEscrow_FeeOnTransferToken`);
    /// - the access key is 1 to MAX_ACCESS_KEY_LENGTH bytes (`GpuEscrow_InvalidAccessKeyLength`); its content is
    ///   the provider host's business (a key it cannot use is a rental it cannot provision);
    /// - no open rental has the same terms (`GpuEscrow_RentalExists`): the renter picks a fresh salt per rental.
    ///   Notes: a rental opened and closed within one second can be opened again with the same terms and so the same
    ///   id; every attestation of the closed one then has periodEnd = startedAt and bills nothing.
    /// @return rentalId keccak256 of the terms emitted in `RentalOpened`.
    function open(OpenParams calldata params, bytes calldata accessKey) external payable returns (bytes32 rentalId);

    /// @notice `open` with an EIP-2612 permit for exactly the deposit, in one transaction. Notes: if the permit
    /// was already used (e.g. front-run), the call goes on when the allowance suffices.
    /// @dev Requirements: those of `open`; the offer's token is an ERC-20, not the native coin
    /// (`GpuEscrow_PermitOnNativeCoin`).
    function openWithPermit(
        OpenParams calldata params,
        bytes calldata accessKey,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 rentalId);

    /// @notice Tops up a running rental's deposit; the rental then runs longer by the time `amount` pays for.
    /// @dev Requirements: caller is the renter (`GpuEscrow_NotRenter`); rental active and not ended
    /// (`GpuEscrow_RentalNotActive`, `GpuEscrow_RentalEnded`); the new deposit still pays for at most the offer's
    /// maxDuration (`GpuEscrow_DurationOutOfBounds`); transfer rules as in `open`.
    function extend(RentalTerms calldata terms, uint96 amount) external payable;

    /// @notice The renter stops the rental now; billing cannot go past this second.
    /// @dev Requirements: caller is the renter; rental active and not ended.
    function stop(RentalTerms calldata terms) external;

    /// @notice The provider ends the rental now; billing cannot go past this second. Ending an on-demand (non-spot)
    /// rental counts against the provider: the dispute module records it and pays the renter its termination
    /// penalty out of the provider's bond (`IDisputeModule`).
    /// @dev Requirements: caller is the offer's provider (`GpuEscrow_NotProvider`); rental active and not ended.
    function terminate(RentalTerms calldata terms) external;

    /// @notice The renter's normal way out, one transaction: stops the rental at `usage.periodEnd` (if it is still
    /// running) and settles it with that attestation, accepting it.
    /// @dev Requirements: caller is the renter; if still running, the attestation is at most
    /// STOP_ATTESTATION_MAX_AGE old (`GpuEscrow_AttestationTooOld`); then every requirement of `settle`.
    function stopAndSettle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice Settles an ended rental with the provider's final attestation: pays cost − fee to the provider's
    /// earnings, the fee to the treasury's share, and deposit − cost back to the renter; closes the rental.
    /// @dev Requirements:
    /// - rental active (`GpuEscrow_RentalNotActive`) and ended (`GpuEscrow_RentalNotEnded`);
    /// - the renter may settle at once; anyone else only after end + challengeWindow
    ///   (`GpuEscrow_ChallengeWindowOpen`); nobody after end + gracePeriod (`GpuEscrow_SettlementDeadlinePassed`):
    ///   then `refund` applies;
    /// - the attestation is signed by the provider's current attester, EOA or ERC-1271
    ///   (`GpuEscrow_InvalidAttestationSignature`), covers the end (`periodEnd ≥ end`,
    ///   `GpuEscrow_AttestationNotFinal`), is not from the future (`GpuEscrow_AttestationFromFuture`), has a seq
    ///   above the last accepted (`GpuEscrow_StaleSeq`), an uptime not above periodEnd − start
    ///   (`GpuEscrow_UptimeExceedsElapsed`) and not below the seconds already paid (`GpuEscrow_UptimeDecreased`).
    function settle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice `settle` for many rentals; rentals that are not open (settled or refunded by someone else, or never
    /// opened) are skipped, so racing keepers do not fail. Any other failure reverts the whole batch.
    /// @return settled How many rentals this call settled.
    function settleBatch(RentalTerms[] calldata terms, Usage[] calldata usages, bytes[] calldata signatures)
        external
        returns (uint256 settled);

    /// @notice Pays the provider for newly attested seconds of a rental before it is settled, so long rentals are
    /// paid as they run. Anyone may call it. Totals are unchanged: billing stays cumulative.
    /// @dev Requirements: rental active; `periodEnd + challengeWindow ≤ now`
    /// (`GpuEscrow_AttestationInChallengeWindow`); not past end + gracePeriod, when only `refund` remains
    /// (`GpuEscrow_SettlementDeadlinePassed`); signature, seq and uptime rules as in `settle`.
    function checkpoint(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice Closes a rental nobody settled by end + gracePeriod: the provider keeps what checkpoints already paid,
    /// the renter gets all the rest of the deposit back. Anyone may call it.
    /// @dev Requirements: rental active; now > end + gracePeriod (`GpuEscrow_RefundNotDue`).
    function refund(RentalTerms calldata terms) external;

    /// @notice Freezes a rental under a subjective dispute: its money stays where it is until `resolve`.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`); rental active
    /// (`GpuEscrow_RentalNotActive`). Emits `RentalFrozen`.
    function freeze(RentalTerms calldata terms) external;

    /// @notice Closes an active or frozen rental by a dispute outcome: the deposit not yet paid out by checkpoints
    /// goes to the dispute module, which splits it between renter, provider and treasury by the outcome. The offer's
    /// record does not count it as a settled rental.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`); rental active or frozen
    /// (`GpuEscrow_RentalNotActive`). Emits `RentalResolved`.
    /// @return amount What was sent to the module.
    function resolve(RentalTerms calldata terms) external returns (uint256 amount);

    /// @notice The mutable state of a rental (status None once closed).
    function rentalState(bytes32 rentalId) external view returns (RentalState memory);

    /// @notice Live numbers: elapsed seconds, the most the renter can owe so far (accrued at full uptime), what
    /// checkpoints paid, the remaining deposit at that bound, when it ends, and whether it has ended.
    function quote(RentalTerms calldata terms) external view returns (Quote memory);

    /// @notice The id of a rental with these terms.
    function rentalId(RentalTerms calldata terms) external pure returns (bytes32);

    /// @notice EIP-712 digest the attester signs for `usage` of the rental with these terms.
    function attestationDigest(RentalTerms calldata terms, Usage calldata usage) external view returns (bytes32);
}
