// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../contracts/disputes/DisputeModuleErrors.sol";
import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Offer, OfferAccount, OfferParams, OfferStanding} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract CreateOffer_Unit_Test is Base {
    function create(OfferParams memory p, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(provider);
        escrow.createOffer(p);
    }

    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ProviderNotRegistered.selector, renter));
        vm.prank(renter);
        escrow.createOffer(defaultOffer(address(usdc)));
    }

    function test_RevertWhen_TokenNotAllowed() external {
        address dai = makeAddr("dai");
        create(defaultOffer(dai), abi.encodeWithSelector(Errors.GpuEscrow_TokenNotAllowed.selector, dai));
        // The native coin is a token like the others: refused until allowed.
        create(defaultOffer(address(0)), abi.encodeWithSelector(Errors.GpuEscrow_TokenNotAllowed.selector, address(0)));
    }

    function test_RevertWhen_ZeroPrice() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.pricePerHour = 0;
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_ZeroPrice.selector));
    }

    function test_RevertWhen_InvalidDurationBounds() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.minDuration = 0;
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_InvalidDurationBounds.selector, uint32(0), uint32(30 days)));
        p.minDuration = 100;
        p.maxDuration = 99;
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_InvalidDurationBounds.selector, uint32(100), uint32(99)));
    }

    function test_RevertWhen_InvalidSla() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 10_001;
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_InvalidSla.selector, uint16(10_001)));
    }

    function test_RevertWhen_InvalidGpuSpec() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.gpuModel = "";
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_InvalidGpuSpec.selector));
        p = defaultOffer(address(usdc));
        p.gpuCount = 0;
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_InvalidGpuSpec.selector));
    }

    function test_RevertWhen_StringTooLong() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.gpuModel = string(new bytes(65));
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_StringTooLong.selector, 65, 64));
        p = defaultOffer(address(usdc));
        p.region = string(new bytes(100));
        create(p, abi.encodeWithSelector(Errors.GpuEscrow_StringTooLong.selector, 100, 64));
    }

    function test_WhenValid() external {
        OfferParams memory p = defaultOffer(address(usdc));
        p.gpuModel = string(new bytes(64));
        p.region = "us-east";
        p.spot = true;
        p.slaBps = 10_000;
        p.gpuCount = 8;
        p.minDuration = 1;
        p.maxDuration = 1;
        p.capacity = 3;
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferCreated(2, provider, p, keccak256(bytes(p.gpuModel)), attester);
        vm.prank(provider);
        uint64 id = escrow.createOffer(p);

        assertEq(id, 2);
        assertEq(escrow.offerCount(), 2);
        Offer memory o = escrow.offer(id);
        assertEq(o.attester, attester);
        assertEq(o.provider, provider);
        assertEq(o.token, address(usdc));
        assertEq(o.pricePerHour, PRICE);
        assertEq(o.gpuModelHash, keccak256(bytes(p.gpuModel)));
        assertEq(o.regionHash, keccak256("us-east"));
        assertEq(o.minDuration, 1);
        assertEq(o.maxDuration, 1);
        assertEq(o.slaBps, 10_000);
        assertEq(o.vramGiB, 80);
        assertEq(o.gpuCount, 8);
        assertTrue(o.spot);
        assertFalse(o.retired);
        assertEq(o.tokenId, 0);
        assertEq(o.capacity, 3);
        OfferAccount memory a = escrow.offerAccount(id);
        assertEq(uint8(a.standing), uint8(OfferStanding.Listed));
        assertEq(a.activeRentals, 0);
        assertEq(a.completed, 0);
        assertEq(a.net, 0);
        assertEq(a.fees, 0);
    }

    function test_WhenTokenIsNative() external {
        uint64 id = createOfferIn(address(0), 1 ether);
        assertEq(escrow.offer(id).token, address(0));
        assertEq(escrow.offer(id).tokenId, 1);
    }

    function test_RevertWhen_BondBelowMinimum() external {
        vm.prank(owner);
        disputes.setMinBond(address(usdc), 100e6);
        create(
            defaultOffer(address(usdc)),
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_BondBelowMinimum.selector, provider, address(usdc), 0, 100e6
            )
        );

        // A bond being unbonded does not count.
        usdc.mint(provider, 150e6);
        vm.startPrank(provider);
        usdc.approve(address(disputes), 150e6);
        disputes.bond(address(usdc), 150e6);
        vm.stopPrank();
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 60e6);
        create(
            defaultOffer(address(usdc)),
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_BondBelowMinimum.selector, provider, address(usdc), 90e6, 100e6
            )
        );
    }

    function test_WhenBondAtMinimum() external {
        vm.prank(owner);
        disputes.setMinBond(address(usdc), 100e6);
        usdc.mint(provider, 100e6);
        vm.startPrank(provider);
        usdc.approve(address(disputes), 100e6);
        disputes.bond(address(usdc), 100e6);
        uint64 id = escrow.createOffer(defaultOffer(address(usdc)));
        vm.stopPrank();
        // The module lists the offer under its provider, for reputation and unbonding checks.
        uint64[] memory listed = disputes.offersOf(provider);
        assertEq(listed.length, 2);
        assertEq(listed[1], id);
    }
}
