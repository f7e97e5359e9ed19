// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OpenParams, RentalState, RentalTerms, Usage} from "../types/DataTypes.sol";

/// @title IRentals
/// @notice Per-second metered GPU rentals paid from an escrowed deposit.
///
/// Money rules (each is a named test):
/// - A rental ends at the earliest of: the renter's stop, the provider's termination, and the moment its deposit
///   is used up (`startedAt + coveredSeconds(deposit)`). A fixed-duration rental is one whose deposit pays for
///   exactly its duration (`quoteDeposit`).
/// - Billed seconds = min(attested uptime seconds, wall-clock seconds from start to end). When the renter stops
///   with `stopAndSettle`, billing ends at that block and the seconds after its attestation's periodEnd are billed
///   as delivered: the renter pays for every second up to its stop except those an attestation shows as down.
/// - cost(s) = ceil(pricePerHour × s / 3600) on cumulative seconds; fee = ceil(cost × feeBps / 10 000) with the
///   fee snapshotted at open; the provider earns cost − fee, the treasury fee; the renter gets deposit − cost back
///   in the transaction that settles. Checkpoints never change these totals.
/// - SLA credit: when a settled rental's uptime (billed ÷ wall-clock seconds, in bps, rounded down) is below the
///   SLA its offer promised (snapshotted at open), the renter gets back 10 bps of the cost per bps short, at most
///   50 % of the cost (and at most 10 × the SLA), out of the provider's net; the fee is unchanged. The credit is
///   the formula on the whole rental whoever checkpointed and however often: checkpoints pay the provider
///   `Billing.checkpointable`, holding back the most credit the rental can earn until it settles.
/// - A subjective dispute stops the clock when it freezes the rental: the deposit for later seconds goes back to the
///   renter whatever the outcome; a ruling splits only the cost of the seconds before the freeze that checkpoints
///   did not pay; with no ruling the billing rules apply as if no dispute had been opened (`release`).
/// - A refund that cannot be delivered (blacklisted or reverting receiver) is credited to the renter instead.
///
/// Attestations: every attestation of a rental is signed by `terms.attester`, the attester snapshotted in the
/// rental's terms when it opened (the offer's attester at that moment). Neither the provider's current attester
/// (`IProviderRegistry.setAttester`) nor the offer's (`IOfferBook.setOfferAttester`) signs for a rental opened
/// before the change: a key rotation reaches only rentals opened afterwards.
///
/// Reverts: each function's `@dev Requirements:` names, in backticks, the custom error each failed condition reverts
/// with. The attestation rules, shared by `settle`, `stopAndSettle`, `checkpoint` and `release`: seq above the last
/// accepted (`GpuEscrow_StaleSeq`); periodEnd not in the future (`GpuEscrow_AttestationFromFuture`) and not before
/// the start (`GpuEscrow_AttestationBeforeStart`); uptime not above periodEnd − startedAt
/// (`GpuEscrow_UptimeExceedsElapsed`) and not below the seconds already paid (`GpuEscrow_UptimeDecreased`); signed
/// by `terms.attester`, ECDSA (65 or 64 bytes) or ERC-1271 with at most `SignatureCheck.ERC1271_GAS` gas
/// (`GpuEscrow_InvalidAttestationSignature`; `SignatureCheck_InsufficientGas` when the caller left too little gas
/// for that check). They are checked in that order, the signature last.
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
    /// @dev `providerNet` is what this checkpoint accrued to the provider (the SLA hold-back excluded).
    event Checkpointed(bytes32 indexed rentalId, uint64 seq, uint32 paidSeconds, uint256 providerNet, uint256 fee);
    /// @notice `settleBatch` left a rental alone; `reason` is the ABI-encoded custom error `settle` would revert
    /// with (e.g. `GpuEscrow_RentalNotActive` when someone settled or froze it first).
    event SettlementSkipped(bytes32 indexed rentalId, bytes reason);
    /// @notice `endedAt` is the second billing ended at: the stop, termination or freeze time, or the moment the
    /// deposit ran out, whichever came first; for a `stopAndSettle` of a running rental, that block's timestamp.
    /// The rental's wall-clock seconds are `endedAt − startedAt`, whenever and by whomever it was settled.
    /// @dev fee = ceil(cost × terms.feeBps / 10 000); `refund` includes `slaCredit`; a refund that could not be
    /// delivered also emits `Credited`.
    event RentalSettled(
        bytes32 indexed rentalId, uint64 billedSeconds, uint64 endedAt, uint256 cost, uint256 refund, uint256 slaCredit
    );
    event RentalRefunded(bytes32 indexed rentalId, uint256 refund);
    /// @notice A subjective dispute froze the rental: no settle, checkpoint, refund, extend or stop until resolved.
    /// A running rental is stopped first (`RentalStopped` by the dispute module, same block).
    event RentalFrozen(bytes32 indexed rentalId);
    /// @notice The dispute module closed the rental: `endedAt`, the second its billing ended (the stop, termination or
    /// freeze, the moment the deposit ran out, or for a running rental the block of the resolution); `atStake`, the
    /// cost of its elapsed seconds not yet paid out by checkpoints, went to the module to split by the dispute's
    /// outcome (`IDisputeModule`); `returned`, the deposit for the seconds after its end, went back to the renter (or
    /// to its credit).
    event RentalResolved(bytes32 indexed rentalId, uint64 endedAt, uint256 atStake, uint256 returned);

    /// @notice The longest access key `open` accepts, in bytes (an RSA-4096 SSH key is 535).
    /// @return The limit, 1024.
    function MAX_ACCESS_KEY_LENGTH() external view returns (uint256);

    /// @notice Opens a rental of `params.offerId`, escrowing `params.deposit` (pulled with `transferFrom` after an
    /// exact `approve`, or sent as `msg.value` when the offer's token is the native coin).
    /// @dev Requirements:
    /// - not paused (`GpuEscrow_Paused`);
    /// - the access key is 1 to MAX_ACCESS_KEY_LENGTH bytes (`GpuEscrow_InvalidAccessKeyLength`); its content is
    ///   the provider host's business (a key it cannot use is a rental it cannot provision);
    /// - the offer exists (`GpuEscrow_OfferNotFound`); its token is still allowed (`GpuEscrow_TokenNotAllowed`);
    /// - the deposit pays for a time within the offer's [minDuration, maxDuration]
    ///   (`GpuEscrow_DurationOutOfBounds`);
    /// - the offer is not suspended by the dispute module (`GpuEscrow_OfferSuspended`), not retired
    ///   (`GpuEscrow_OfferRetired`) and below capacity (`GpuEscrow_OfferAtCapacity`);
    /// - no open rental has the same terms (`GpuEscrow_RentalExists`): the renter picks a fresh salt per rental;
    /// - exactly `deposit` arrives: `msg.value` for the native coin, none otherwise (`GpuEscrow_NativeValueMismatch`);
    ///   fee-on-transfer tokens are refused (`GpuEscrow_FeeOnTransferToken`).
    /// Notes: a rental opened and closed within one second can be opened again with the same terms and so the same
    /// id; every attestation of the closed one then has periodEnd = startedAt and bills nothing.
    /// @param params The offer, the deposit (in the offer token's base units) and a salt of the renter's choice.
    /// @param accessKey The renter's public key in SSH wire format, for the provider's host to provision access with.
    /// @return rentalId keccak256 of the terms emitted in `RentalOpened`.
    function open(OpenParams calldata params, bytes calldata accessKey) external payable returns (bytes32 rentalId);

    /// @notice `open` with an EIP-2612 permit for exactly the deposit, in one transaction. Notes: if the permit
    /// was already used (e.g. front-run), the call goes on when the allowance suffices.
    /// @dev Requirements: those of `open` (`GpuEscrow_Paused`, `GpuEscrow_InvalidAccessKeyLength`,
    /// `GpuEscrow_OfferNotFound`, `GpuEscrow_TokenNotAllowed`, `GpuEscrow_DurationOutOfBounds`,
    /// `GpuEscrow_OfferSuspended`, `GpuEscrow_OfferRetired`, `GpuEscrow_OfferAtCapacity`, `GpuEscrow_RentalExists`,
    /// `GpuEscrow_FeeOnTransferToken`); the offer's token is an ERC-20, not the native coin
    /// (`GpuEscrow_PermitOnNativeCoin`).
    /// @param params As in `open`.
    /// @param accessKey As in `open`.
    /// @param deadline The permit's deadline.
    /// @param v The permit signature's recovery id.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return rentalId As in `open`.
    function openWithPermit(
        OpenParams calldata params,
        bytes calldata accessKey,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 rentalId);

    /// @notice Tops up a running rental's deposit; the rental then runs longer by the time `amount` pays for.
    /// @dev Requirements: rental active (`GpuEscrow_RentalNotActive`); caller is the renter (`GpuEscrow_NotRenter`);
    /// not ended (`GpuEscrow_RentalEnded`); the new deposit below 2^96 (`GpuEscrow_DepositTooLarge`) and paying for
    /// at most the offer's maxDuration (`GpuEscrow_DurationOutOfBounds`); exactly `amount` arrives
    /// (`GpuEscrow_NativeValueMismatch`, `GpuEscrow_FeeOnTransferToken`).
    /// @param terms The rental's terms.
    /// @param amount The top-up, in the rental token's base units.
    function extend(RentalTerms calldata terms, uint96 amount) external payable;

    /// @notice The renter stops the rental now; billing cannot go past this second.
    /// @dev Requirements: caller is the renter (`GpuEscrow_NotRenter`); rental active (`GpuEscrow_RentalNotActive`)
    /// and not ended (`GpuEscrow_RentalEnded`).
    /// @param terms The rental's terms.
    function stop(RentalTerms calldata terms) external;

    /// @notice The provider ends the rental now; billing cannot go past this second. Ending an on-demand (non-spot)
    /// rental counts against the provider: the dispute module records it and pays the renter its termination
    /// penalty out of the provider's bond, a share of the cost of the time rented so far (`IDisputeModule`), which
    /// no call of the renter's (a top-up in front of the termination, say) can raise.
    /// @dev Requirements: caller is the offer's provider (`GpuEscrow_NotProvider`); rental active
    /// (`GpuEscrow_RentalNotActive`) and not ended (`GpuEscrow_RentalEnded`).
    /// @param terms The rental's terms.
    function terminate(RentalTerms calldata terms) external;

    /// @notice The renter's normal way out, one transaction: stops the rental now (if it is still running) and
    /// settles it with `usage`, accepting it. Billing ends at this block: the seconds between the attestation's
    /// periodEnd and now are billed as delivered (the fresher the attestation, the fewer), and the SLA credit
    /// counts them as up.
    /// @dev Requirements: caller is the renter (`GpuEscrow_NotRenter`); rental active (`GpuEscrow_RentalNotActive`);
    /// the attestation rules (`GpuEscrow_StaleSeq`, `GpuEscrow_AttestationFromFuture`,
    /// `GpuEscrow_AttestationBeforeStart`, `GpuEscrow_UptimeExceedsElapsed`, `GpuEscrow_UptimeDecreased`,
    /// `GpuEscrow_InvalidAttestationSignature`, `SignatureCheck_InsufficientGas`); if the rental already ended, also
    /// those of `settle` for the renter: before end + gracePeriod (`GpuEscrow_SettlementDeadlinePassed`), and a final
    /// attestation (`GpuEscrow_AttestationNotFinal`).
    /// @param terms The rental's terms.
    /// @param usage The attestation the renter accepts (the freshest it has).
    /// @param signature `terms.attester`'s signature of it.
    function stopAndSettle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice Settles an ended rental with the provider's final attestation: pays cost − fee to the provider's
    /// earnings, the fee to the treasury's share, and deposit − cost back to the renter; closes the rental.
    /// @dev Requirements:
    /// - rental active (`GpuEscrow_RentalNotActive`) and ended (`GpuEscrow_RentalNotEnded`);
    /// - the renter may settle at once; anyone else only after end + challengeWindow
    ///   (`GpuEscrow_ChallengeWindowOpen`); nobody after end + gracePeriod (`GpuEscrow_SettlementDeadlinePassed`):
    ///   then `refund` applies;
    /// - the attestation rules: seq (`GpuEscrow_StaleSeq`), not from the future (`GpuEscrow_AttestationFromFuture`)
    ///   nor before the start (`GpuEscrow_AttestationBeforeStart`), uptime bounds (`GpuEscrow_UptimeExceedsElapsed`,
    ///   `GpuEscrow_UptimeDecreased`), signed by `terms.attester`, the attester snapshotted in the terms at open, not
    ///   the provider's or the offer's current one (`GpuEscrow_InvalidAttestationSignature`,
    ///   `SignatureCheck_InsufficientGas`);
    /// - the attestation covers the end: periodEnd ≥ end (`GpuEscrow_AttestationNotFinal`).
    /// @param terms The rental's terms.
    /// @param usage The final attestation.
    /// @param signature `terms.attester`'s signature of it.
    function settle(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice `settle` for many rentals. An item that cannot settle (closed or frozen by someone else, stopped
    /// since, a bad attestation, a deadline passed) is skipped with `SettlementSkipped` and its reason: nothing a
    /// third party does makes the batch revert.
    /// @dev Requirements: at least one item (`GpuEscrow_EmptyBatch`), arrays of one length
    /// (`GpuEscrow_BatchLengthMismatch`); enough gas for an ERC-1271 attester's check
    /// (`SignatureCheck_InsufficientGas`). An item's reason is the error `settle` would revert with.
    /// @param terms The rentals' terms.
    /// @param usages Their final attestations, in the same order.
    /// @param signatures Their attesters' signatures, in the same order.
    /// @return settled How many rentals this call settled.
    function settleBatch(RentalTerms[] calldata terms, Usage[] calldata usages, bytes[] calldata signatures)
        external
        returns (uint256 settled);

    /// @notice Pays the provider for newly attested seconds of a running rental, so long rentals are paid as they
    /// run. Anyone may call it. The provider gets `Billing.checkpointable` of their cost (its net less the most SLA
    /// credit the rental can earn, which waits for settlement); the treasury its whole fee. Totals are unchanged:
    /// billing stays cumulative, and the SLA credit is the same however often anyone checkpoints.
    /// @dev Requirements: rental active (`GpuEscrow_RentalNotActive`) and running (`GpuEscrow_RentalEnded`: an ended
    /// rental settles instead); `periodEnd + challengeWindow ≤ now` (`GpuEscrow_AttestationInChallengeWindow`); the
    /// attestation rules (`GpuEscrow_StaleSeq`, `GpuEscrow_AttestationFromFuture`,
    /// `GpuEscrow_AttestationBeforeStart`, `GpuEscrow_UptimeExceedsElapsed`, `GpuEscrow_UptimeDecreased`,
    /// `GpuEscrow_InvalidAttestationSignature`, `SignatureCheck_InsufficientGas`).
    /// @param terms The rental's terms.
    /// @param usage An attestation whose period ended at least a challenge window ago.
    /// @param signature `terms.attester`'s signature of it.
    function checkpoint(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice Closes a rental nobody settled by end + gracePeriod: the provider keeps what checkpoints already paid,
    /// the renter gets all the rest of the deposit back (the SLA hold-back included). Anyone may call it.
    /// @dev Requirements: rental active (`GpuEscrow_RentalNotActive`); now > end + gracePeriod
    /// (`GpuEscrow_RefundNotDue`).
    /// @param terms The rental's terms.
    function refund(RentalTerms calldata terms) external;

    /// @notice Freezes a rental under a subjective dispute: a running rental stops now (billing cannot go past the
    /// freeze), and its money stays where it is until `resolve` or `release`.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`); rental active
    /// (`GpuEscrow_RentalNotActive`). Emits `RentalStopped` (if running) and `RentalFrozen`.
    /// @param terms The rental's terms.
    function freeze(RentalTerms calldata terms) external;

    /// @notice Closes an active or frozen rental by a dispute outcome or an objective proof. A running rental ends
    /// now. The deposit for the seconds after its end goes back to the renter; the cost of the seconds before it,
    /// less what checkpoints paid out, goes to the dispute module, which splits it between renter, provider and
    /// treasury by the outcome. The offer's record does not count it as a settled rental.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`); rental active or frozen
    /// (`GpuEscrow_RentalNotActive`); the module takes the payment (`GpuEscrow_NativeTransferFailed` otherwise, for
    /// the native coin). Emits `RentalResolved`.
    /// @param terms The rental's terms.
    /// @return atStake What was sent to the module.
    function resolve(RentalTerms calldata terms) external returns (uint256 atStake);

    /// @notice Returns a frozen rental to the billing rules when its dispute got no ruling: with an attestation it
    /// settles exactly as `settle` would at the frozen end (SLA credit, offer record); with none (empty
    /// `signature`) it closes as `refund` would.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`), which decides when
    /// (`IDisputeModule.settleFallback`, `executeRuling`); rental frozen (`GpuEscrow_RentalNotFrozen`); with a
    /// signature, the attestation rules (`GpuEscrow_StaleSeq`, `GpuEscrow_AttestationFromFuture`,
    /// `GpuEscrow_AttestationBeforeStart`, `GpuEscrow_UptimeExceedsElapsed`, `GpuEscrow_UptimeDecreased`,
    /// `GpuEscrow_InvalidAttestationSignature`, `SignatureCheck_InsufficientGas`) and a final attestation
    /// (`GpuEscrow_AttestationNotFinal`).
    /// @param terms The rental's terms.
    /// @param usage The final attestation (ignored when `signature` is empty).
    /// @param signature `terms.attester`'s signature of it, or empty for the refund rules.
    function release(RentalTerms calldata terms, Usage calldata usage, bytes calldata signature) external;

    /// @notice The mutable state of a rental (status None once closed).
    /// @param rentalId The rental's id.
    /// @return The deposit, paid seconds, last accepted seq, stop time and status.
    function rentalState(bytes32 rentalId) external view returns (RentalState memory);

    /// @notice EIP-712 digest that `terms.attester`, the attester snapshotted in the rental's terms at open, signs
    /// for `usage` of the rental with these terms.
    /// @param terms The rental's terms (their hash is the `rentalId` in the signed struct).
    /// @param usage The attestation.
    /// @return The digest.
    function attestationDigest(RentalTerms calldata terms, Usage calldata usage) external view returns (bytes32);
}
