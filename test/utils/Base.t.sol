// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

import {ICommitteeArbitrator} from "../../contracts/interfaces/ICommitteeArbitrator.sol";
import {IRentals} from "../../contracts/interfaces/IRentals.sol";
import {Billing} from "../../contracts/libraries/Billing.sol";
import {RentalQuote} from "../../contracts/libraries/RentalQuote.sol";
import {OfferParams, OpenParams, Quote, RentalState, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {ED25519_ACCESS_KEY} from "./AccessKeys.sol";
import {IDisputeModuleFull} from "./IDisputeModuleFull.sol";
import {IGpuEscrowFull} from "./IGpuEscrowFull.sol";

/// @notice Shared fixture: an escrow, a 6-decimal USDC-like token with permit, a registered provider with one
/// H100 offer at 2.50 USDC/h, and a funded renter that has approved the escrow.
abstract contract Base is Test {
    string internal constant H100 = "NVIDIA H100 80GB HBM3";
    uint96 internal constant PRICE = 2_500_000; // 2.50 USDC per hour
    uint96 internal constant ONE_HOUR_DEPOSIT = 2_500_000;
    bytes32 internal constant GPU_UUIDS_HASH = keccak256("GPU-5f0c9f3e-0000-0000-0000-000000000001");
    /// @dev Governance defaults every new rental snapshots unless a test changes them.
    uint16 internal constant FEE_BPS = 1000;
    uint32 internal constant CHALLENGE_WINDOW = 1 hours;
    uint32 internal constant GRACE_PERIOD = 24 hours;

    /// @dev The artifacts every test deploys: the via-IR builds of contracts/GpuEscrow.sol and of the token, read from
    /// out/ by path (the name form may resolve to the unoptimized test-profile build, which would inflate gas).
    string internal constant ESCROW_ARTIFACT = "out/GpuEscrow.sol/GpuEscrow.json";
    string internal constant TOKEN_ARTIFACT = "out/MockERC20.sol/MockERC20.json";
    string internal constant MODULE_ARTIFACT = "out/DisputeModule.sol/DisputeModule.json";
    string internal constant ARBITRATOR_ARTIFACT = "out/CommitteeArbitrator.sol/CommitteeArbitrator.json";
    /// @dev The dispute module's ruling period and unbonding delay in the fixture.
    uint256 internal constant RULING_PERIOD = 3 days;
    uint256 internal constant UNBONDING_DELAY = 14 days;

    IGpuEscrowFull internal escrow;
    IDisputeModuleFull internal disputes;
    ICommitteeArbitrator internal committee;
    MockERC20 internal usdc;

    /// @dev The committee arbitrator's members (2-of-3).
    address internal judge1 = makeAddr("judge1");
    address internal judge2 = makeAddr("judge2");
    address internal judge3 = makeAddr("judge3");

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal provider = makeAddr("provider");
    address internal payout = makeAddr("payout");
    address internal renter;
    uint256 internal renterKey;
    address internal attester;
    uint256 internal attesterKey;
    address internal keeper = makeAddr("keeper");

    uint64 internal offerId;

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        (renter, renterKey) = makeAddrAndKey("renter");
        (attester, attesterKey) = makeAddrAndKey("attester");
        escrow = deployEscrow(owner, treasury);
        usdc = MockERC20(deployCode(TOKEN_ARTIFACT, abi.encode("USD Coin", "USDC", uint8(6))));
        vm.prank(owner);
        escrow.setTokenAllowed(address(usdc), true);

        vm.prank(provider);
        escrow.registerProvider(payout, attester, "http://127.0.0.1:7070");
        vm.prank(provider);
        offerId = escrow.createOffer(defaultOffer(address(usdc)));

        usdc.mint(renter, 1_000_000e6);
        vm.prank(renter);
        usdc.approve(address(escrow), type(uint256).max);
    }

    /// @dev An escrow with its dispute module set (a 2-of-3 committee as arbitrator), ready for `setTokenAllowed`.
    function deployEscrow(address owner_, address treasury_) internal returns (IGpuEscrowFull e) {
        e = IGpuEscrowFull(deployCode(ESCROW_ARTIFACT, abi.encode(owner_, treasury_)));
        address[] memory members = new address[](3);
        (members[0], members[1], members[2]) = (judge1, judge2, judge3);
        committee = ICommitteeArbitrator(deployCode(ARBITRATOR_ARTIFACT, abi.encode(members, 2, RULING_PERIOD)));
        disputes = IDisputeModuleFull(
            deployCode(
                MODULE_ARTIFACT, abi.encode(owner_, address(e), address(committee), "", RULING_PERIOD, UNBONDING_DELAY)
            )
        );
        vm.prank(owner_);
        e.setDisputeModule(address(disputes));
    }

    function defaultOffer(address token) internal pure returns (OfferParams memory) {
        return OfferParams({
            gpuModel: H100,
            vramGiB: 80,
            gpuCount: 1,
            token: token,
            pricePerHour: PRICE,
            minDuration: 60,
            maxDuration: 30 days,
            spot: false,
            slaBps: 0,
            region: "eu-west",
            capacity: 8
        });
    }

    /// @dev Opens a rental as `renter` and returns its terms, read back from the `RentalOpened` event.
    function openRental(uint96 deposit, bytes32 salt) internal returns (RentalTerms memory terms) {
        return openRentalFrom(renter, offerId, deposit, salt);
    }

    function openRentalFrom(address who, uint64 offer, uint96 deposit, bytes32 salt)
        internal
        returns (RentalTerms memory terms)
    {
        vm.recordLogs();
        vm.prank(who);
        escrow.open(OpenParams({offerId: offer, deposit: deposit, salt: salt}), ED25519_ACCESS_KEY);
        terms = openedTerms();
    }

    /// @dev The static non-indexed fields of `RentalOpened`, in order: they decode from the head of the event's data (the
    /// access key, the one dynamic field, follows them).
    struct OpenedData {
        address token;
        uint96 pricePerHour;
        address attester;
        uint40 startedAt;
        uint16 feeBps;
        uint16 slaBps;
        uint32 challengeWindow;
        uint32 gracePeriod;
        bytes32 salt;
        uint256 deposit;
    }

    function openedTerms() internal returns (RentalTerms memory terms) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            Vm.Log memory log = logs[i - 1];
            if (log.topics[0] == IRentals.RentalOpened.selector) {
                OpenedData memory d = abi.decode(log.data, (OpenedData));
                terms = RentalTerms({
                    renter: address(uint160(uint256(log.topics[2]))),
                    offerId: uint64(uint256(log.topics[3])),
                    token: d.token,
                    pricePerHour: d.pricePerHour,
                    attester: d.attester,
                    startedAt: d.startedAt,
                    feeBps: d.feeBps,
                    slaBps: d.slaBps,
                    challengeWindow: d.challengeWindow,
                    gracePeriod: d.gracePeriod,
                    salt: d.salt
                });
                return terms;
            }
        }
        revert("no RentalOpened event");
    }

    function usageAt(uint64 seq, uint64 periodEnd, uint64 uptime) internal pure returns (Usage memory) {
        return Usage({
            seq: seq,
            periodEnd: periodEnd,
            uptimeSeconds: uptime,
            gpuModelHash: keccak256(bytes(H100)),
            gpuUuidsHash: GPU_UUIDS_HASH,
            energyJoules: uptime * 700,
            avgUtilBps: 9500
        });
    }

    /// @dev A 64-byte (EIP-2098) signature by the attester key over the usage of the rental.
    function signUsage(RentalTerms memory terms, Usage memory usage) internal view returns (bytes memory) {
        return signUsageWith(attesterKey, terms, usage);
    }

    function signUsageWith(uint256 key, RentalTerms memory terms, Usage memory usage)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = escrow.attestationDigest(terms, usage);
        (bytes32 r, bytes32 vs) = vm.signCompact(key, digest);
        return abi.encodePacked(r, vs);
    }

    function cost(uint256 price, uint256 seconds_) internal pure returns (uint256) {
        return Billing.cost(price, seconds_);
    }

    function fee(uint256 amount, uint256 feeBps) internal pure returns (uint256) {
        return Billing.fee(amount, feeBps);
    }

    /*//////////////////////////////////////////////////////////////
                          HELPERS FOR THE SUITE
    //////////////////////////////////////////////////////////////*/

    /// @dev A 65-byte (r ‖ s ‖ v) signature by the attester key over the usage of the rental.
    function signUsage65(RentalTerms memory terms, Usage memory usage) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(attesterKey, escrow.attestationDigest(terms, usage));
        return abi.encodePacked(r, s, v);
    }

    /// @dev The second the rental's deposit runs out: startedAt + floor(deposit × 3600 / price).
    function depositEnd(RentalTerms memory terms, uint256 deposit) internal pure returns (uint256) {
        return terms.startedAt + deposit * 3600 / terms.pricePerHour;
    }

    /// @dev Settles `terms` as `caller` with a fresh attestation (seq, periodEnd, uptime).
    function settleAs(address caller, RentalTerms memory terms, uint64 seq, uint64 periodEnd, uint64 uptime) internal {
        Usage memory u = usageAt(seq, periodEnd, uptime);
        bytes memory sig = signUsage(terms, u);
        vm.prank(caller);
        escrow.settle(terms, u, sig);
    }

    /// @dev The renter stops and settles with an attestation ending now.
    function stopAndSettleNow(RentalTerms memory terms, uint64 seq, uint64 uptime) internal {
        Usage memory u = usageAt(seq, uint64(block.timestamp), uptime);
        bytes memory sig = signUsage(terms, u);
        vm.prank(terms.renter);
        escrow.stopAndSettle(terms, u, sig);
    }

    function checkpointAs(address caller, RentalTerms memory terms, uint64 seq, uint64 periodEnd, uint64 uptime)
        internal
    {
        Usage memory u = usageAt(seq, periodEnd, uptime);
        bytes memory sig = signUsage(terms, u);
        vm.prank(caller);
        escrow.checkpoint(terms, u, sig);
    }

    /// @dev cost, fee and the provider's net for `billed` seconds at the rental's price and fee.
    function split(RentalTerms memory terms, uint256 billed)
        internal
        pure
        returns (uint256 cost_, uint256 fee_, uint256 net_)
    {
        cost_ = Billing.cost(terms.pricePerHour, billed);
        fee_ = Billing.fee(cost_, terms.feeBps);
        net_ = cost_ - fee_;
    }

    function idOf(RentalTerms memory terms) internal pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    function stateOf(RentalTerms memory terms) internal view returns (RentalState memory) {
        return escrow.rentalState(idOf(terms));
    }

    /// @dev The rental's live numbers now, as every reader computes them from its terms and state.
    function quoteOf(RentalTerms memory terms) internal view returns (Quote memory) {
        return RentalQuote.quote(terms, stateOf(terms), block.timestamp);
    }

    /// @dev Allows `token` and creates an offer in it for `provider` at `price` per hour.
    function createOfferIn(address token, uint96 price) internal returns (uint64 id) {
        vm.prank(owner);
        escrow.setTokenAllowed(token, true);
        OfferParams memory p = defaultOffer(token);
        p.pricePerHour = price;
        vm.prank(provider);
        id = escrow.createOffer(p);
    }

    function offerNet(uint64 id) internal view returns (uint256) {
        return escrow.offerAccount(id).net;
    }

    function offerFees(uint64 id) internal view returns (uint256) {
        return escrow.offerAccount(id).fees;
    }

    function activeOn(uint64 id) internal view returns (uint256) {
        return escrow.offerAccount(id).activeRentals;
    }
}
