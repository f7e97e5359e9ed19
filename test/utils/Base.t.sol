// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

import {GpuEscrow} from "../../contracts/GpuEscrow.sol";
import {IRentals} from "../../contracts/interfaces/IRentals.sol";
import {Billing} from "../../contracts/libraries/Billing.sol";
import {OfferParams, OpenParams, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {MockERC20} from "../mocks/MockERC20.sol";

/// @notice Shared fixture: an escrow, a 6-decimal USDC-like token with permit, a registered provider with one
/// H100 offer at 2.50 USDC/h, and a funded renter that has approved the escrow.
abstract contract Base is Test {
    string internal constant H100 = "NVIDIA H100 80GB HBM3";
    uint96 internal constant PRICE = 2_500_000; // 2.50 USDC per hour
    uint96 internal constant ONE_HOUR_DEPOSIT = 2_500_000;
    bytes32 internal constant GPU_UUIDS_HASH = keccak256("GPU-5f0c9f3e-0000-0000-0000-000000000001");

    GpuEscrow internal escrow;
    MockERC20 internal usdc;

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
        escrow = new GpuEscrow(owner, treasury);
        usdc = new MockERC20("USD Coin", "USDC", 6);
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
            slaBps: 9900,
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
        escrow.open(OpenParams({offerId: offer, deposit: deposit, salt: salt}));
        terms = openedTerms();
    }

    function openedTerms() internal returns (RentalTerms memory terms) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            Vm.Log memory log = logs[i - 1];
            if (log.topics[0] == IRentals.RentalOpened.selector) {
                terms.renter = address(uint160(uint256(log.topics[2])));
                terms.offerId = uint64(uint256(log.topics[3]));
                (
                    terms.token,
                    terms.pricePerHour,
                    terms.gpuModelHash,
                    terms.attester,
                    terms.startedAt,
                    terms.feeBps,
                    terms.challengeWindow,
                    terms.gracePeriod,
                    terms.salt,
                ) =
                    abi.decode(
                        log.data, (address, uint96, bytes32, address, uint40, uint16, uint32, uint32, bytes32, uint256)
                    );
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
}
