// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Script, console} from "forge-std/Script.sol";
import {Vm} from "forge-std/Vm.sol";

import {GpuEscrow} from "../contracts/GpuEscrow.sol";
import {IRentals} from "../contracts/interfaces/IRentals.sol";
import {OfferParams, OpenParams, Quote, RentalTerms, Usage} from "../contracts/types/DataTypes.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";

/// @notice The renter's and the provider's steps of the local demo, one function per step, run by script/demo.sh
/// against anvil while the provider's oracle runs. Each step finds the rental from its `RentalOpened` log.
/// Keys come from the environment: PROVIDER_KEY, ATTESTER_KEY, RENTER_KEY.
contract DemoRental is Script {
    string internal constant MODEL = "NVIDIA H100 80GB HBM3";
    uint96 internal constant PRICE = 2_500_000; // 2.50 USDC per hour

    function deployment() internal view returns (GpuEscrow escrow, MockERC20 usdc) {
        string memory json = vm.readFile(string.concat("deployments/", vm.toString(block.chainid), ".json"));
        escrow = GpuEscrow(payable(vm.parseJsonAddress(json, ".escrow")));
        usdc = MockERC20(vm.parseJsonAddress(json, ".tokens.USDC"));
    }

    /// Provider: register with an attester key, publish an H100 offer priced in USDC.
    function provide() external {
        (GpuEscrow escrow, MockERC20 usdc) = deployment();
        address attester = vm.addr(vm.envUint("ATTESTER_KEY"));
        vm.startBroadcast(vm.envUint("PROVIDER_KEY"));
        escrow.registerProvider(msg.sender, attester, "http://127.0.0.1:7070");
        uint64 offerId = escrow.createOffer(
            OfferParams({
                gpuModel: MODEL,
                vramGiB: 80,
                gpuCount: 1,
                token: address(usdc),
                pricePerHour: PRICE,
                minDuration: 60,
                maxDuration: 7 days,
                spot: false,
                slaBps: 9900,
                region: "eu-west",
                capacity: 4
            })
        );
        vm.stopBroadcast();
        console.log("provider %s registered, offer #%s: %s at 2.50 USDC/h", msg.sender, offerId, MODEL);
    }

    /// Renter: open a one-hour rental of offer 1, paying with an EIP-2612 permit in the same transaction.
    function rent() external {
        (GpuEscrow escrow, MockERC20 usdc) = deployment();
        uint256 key = vm.envUint("RENTER_KEY");
        address renter = vm.addr(key);
        uint96 deposit = uint96(escrow.quoteDeposit(1, 1 hours));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                usdc.DOMAIN_SEPARATOR(),
                keccak256(
                    abi.encode(
                        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                        renter,
                        address(escrow),
                        deposit,
                        usdc.nonces(renter),
                        deadline
                    )
                )
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        vm.startBroadcast(key);
        usdc.mint(renter, 100e6);
        // The renter's SSH public key in wire format (the base64-decoded middle field of its .pub line).
        bytes memory accessKey = vm.envBytes("DEMO_ACCESS_KEY");
        escrow.openWithPermit(
            OpenParams({offerId: 1, deposit: deposit, salt: bytes32(block.timestamp)}), accessKey, deadline, v, r, s
        );
        vm.stopBroadcast();
        console.log("renter %s opens a rental with a deposit of %s USDC (1 h)", renter, units(deposit));
    }

    /// Anyone: the live view of the rental.
    function status() external {
        (GpuEscrow escrow,) = deployment();
        RentalTerms memory terms = openedTerms(escrow);
        console.log("rental %s", vm.toString(escrow.rentalId(terms)));
        Quote memory q = escrow.quote(terms);
        console.log(
            "elapsed %ss, accrued at most %s USDC, remaining %s USDC",
            q.elapsed,
            units(q.accruedMax),
            units(q.remaining)
        );
    }

    /// Renter: stop and settle in one transaction with the attestation the provider's oracle just signed
    /// (fields and 65-byte signature as its HTTP API returns them).
    function stopAndSettle(
        uint64 seq,
        uint64 periodEnd,
        uint64 uptime,
        bytes32 gpuUuidsHash,
        uint64 energyJoules,
        uint16 avgUtilBps,
        bytes calldata signature
    ) external {
        (GpuEscrow escrow, MockERC20 usdc) = deployment();
        RentalTerms memory terms = openedTerms(escrow);
        Usage memory usage = Usage({
            seq: seq,
            periodEnd: periodEnd,
            uptimeSeconds: uptime,
            gpuUuidsHash: gpuUuidsHash,
            energyJoules: energyJoules,
            avgUtilBps: avgUtilBps
        });
        uint256 before = usdc.balanceOf(terms.renter);
        vm.startBroadcast(vm.envUint("RENTER_KEY"));
        escrow.stopAndSettle(terms, usage, signature);
        vm.stopBroadcast();
        uint256 wall = periodEnd - terms.startedAt;
        uint256 billed = uptime < wall ? uptime : wall;
        uint256 cost = escrow.quoteDeposit(terms.offerId, uint32(billed));
        uint256 fee = (cost * terms.feeBps + 9999) / 10_000;
        console.log("--- receipt ---");
        console.log("rental      %s", vm.toString(escrow.rentalId(terms)));
        console.log("GPU         %s, 80 GiB x1, attested by %s", MODEL, terms.attester);
        console.log("start / end %s / %s (unix s)", terms.startedAt, periodEnd);
        console.log("billed      %s s of %s s wall clock (attestation #%s)", billed, wall, seq);
        console.log("cost        %s USDC (provider %s, fee %s)", units(cost), units(cost - fee), units(fee));
        console.log("refund      %s USDC", units(usdc.balanceOf(terms.renter) - before));
    }

    /// The terms of the renter's latest rental, rebuilt from its `RentalOpened` log on the chain.
    function openedTerms(GpuEscrow escrow) internal returns (RentalTerms memory terms) {
        bytes32[] memory topics = new bytes32[](1);
        topics[0] = IRentals.RentalOpened.selector;
        Vm.EthGetLogs[] memory logs = vm.eth_getLogs(0, block.number, address(escrow), topics);
        bytes32 renter = bytes32(uint256(uint160(vm.addr(vm.envUint("RENTER_KEY")))));
        uint256 i = logs.length;
        while (i > 0 && logs[i - 1].topics[2] != renter) --i;
        require(i > 0, "no rental opened yet: run the rent() step first");
        Vm.EthGetLogs memory log = logs[i - 1];
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
        ) = abi.decode(log.data, (address, uint96, bytes32, address, uint40, uint16, uint32, uint32, bytes32, uint256));
    }

    /// 6-decimal base units as a decimal string, e.g. 2500000 → "2.500000".
    function units(uint256 amount) internal pure returns (string memory) {
        string memory frac = vm.toString(amount % 1e6);
        while (bytes(frac).length < 6) frac = string.concat("0", frac);
        return string.concat(vm.toString(amount / 1e6), ".", frac);
    }
}
